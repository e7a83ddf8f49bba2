"""The .pkpass: pass.json, images, manifest.json and signature, zipped at the root.

https://developer.apple.com/documentation/walletpasses/building-a-pass

Measured choices (one core; bench/passes.py): the RSA signature is the one cost a
signed pass cannot avoid, and everything else is kept to a fifth of it or less. An
image's SHA-1, CRC, manifest line, zip headers and stored bytes are computed once and
cached by its bytes (the images come from caches, so the same objects recur). The
zip is written here, because `zipfile` cannot take deflated bytes: it hashed and
deflated the images again for every pass. What is new in each pass (pass.json, the
manifest, the signature: a few kB) is stored, not deflated: deflating them cost
about a fifth of the signature for some 2 kB saved. A PNG is stored too unless
deflate makes it smaller (its pixels are deflated already).
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding

from chalicelib.wallet.apple import der, strings
from chalicelib.wallet.apple.certs import Signer
from chalicelib.wallet.apple.model import PassContent, pass_json

PASS_JSON = "pass.json"  # noqa: S105 (a file name, not a password)
MANIFEST = "manifest.json"
SIGNATURE = "signature"
_RESERVED = frozenset((PASS_JSON, MANIFEST, SIGNATURE))

# RFC 5652 and RFC 5754 object identifiers.
_SIGNED_DATA = der.oid("1.2.840.113549.1.7.2")
_DATA = der.oid("1.2.840.113549.1.7.1")
_CONTENT_TYPE = der.oid("1.2.840.113549.1.9.3")
_MESSAGE_DIGEST = der.oid("1.2.840.113549.1.9.4")
_SIGNING_TIME = der.oid("1.2.840.113549.1.9.5")
_SHA256 = der.sequence(der.oid("2.16.840.1.101.3.4.2.1"), der.NULL)
_RSA = der.sequence(der.oid("1.2.840.113549.1.1.1"), der.NULL)  # as OpenSSL writes it
_CONTENT_TYPE_DATA = der.sequence(_CONTENT_TYPE, der.set_of(_DATA))
_PKCS1V15 = padding.PKCS1v15()
_PREHASHED_SHA256 = Prehashed(hashes.SHA256())
# One encoder for every pass.json (json.dumps with options makes one per call).
# pass_json makes a fresh tree of dicts and lists: no cycle to look for.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _json_writer() -> Callable[[Any], bytes]:
    """`_JSON`'s bytes; with CPython's C encoder made once, not per call (a third faster)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return lambda document: _JSON.encode(document).encode()
    encode = make(
        None,  # markers: no cycle check
        _JSON.default,
        json.encoder.encode_basestring,  # the C one where there is a C encoder
        None,  # indent
        ":",
        ",",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    return lambda document: "".join(encode(document, 0)).encode()


_write_json = _json_writer()


def manifest(files: dict[str, bytes]) -> bytes:
    """manifest.json: every file's name mapped to the SHA-1 hex of its bytes.

    It lists neither itself nor the signature; raises ValueError if given them.
    """
    if MANIFEST in files or SIGNATURE in files:
        raise ValueError("the manifest lists neither manifest.json nor signature")
    return _manifest_json({name: hashlib.sha1(data).hexdigest() for name, data in files.items()})  # noqa: S324 (Apple's manifest is SHA-1)


def _manifest_json(digests: dict[str, str]) -> bytes:
    return json.dumps(digests, sort_keys=True, separators=(",", ":")).encode()


def signature(manifest_bytes: bytes, signer: Signer, signing_time: datetime) -> bytes:
    """The detached CMS SignedData (DER) over the manifest that Wallet checks.

    SHA-256 with RSA; signed attributes contentType, signingTime (Wallet refuses a
    signature without one) and messageDigest; certificates: the pass certificate
    and the WWDR intermediate. Raises ValueError for a naive `signing_time`.
    """
    if signing_time.tzinfo is None:
        raise ValueError("a signing time must be timezone-aware")
    parts = _signer_parts(signer)
    signed_attributes = der.set_of(
        _CONTENT_TYPE_DATA,
        _signing_time_attribute(int(signing_time.timestamp())),
        der.sequence(
            _MESSAGE_DIGEST,
            der.set_of(der.tlv(der.OCTET_STRING, hashlib.sha256(manifest_bytes).digest())),
        ),
    )
    # RFC 5652 5.4: the signature covers the attributes' SET OF encoding; in the
    # SignerInfo they are carried under the implicit tag [0] instead. Hashed here:
    # a prehashed signature skips a digest context per call (measured: 3% of a pass).
    signed = signer.private_key.sign(
        hashlib.sha256(signed_attributes).digest(), _PKCS1V15, _PREHASHED_SHA256
    )
    signer_info = der.sequence(
        parts.signer_info_head,
        bytes((der.CONTEXT_0,)) + signed_attributes[1:],
        _RSA,
        der.tlv(der.OCTET_STRING, signed),
    )
    signed_data = der.sequence(parts.signed_data_head, der.set_of(signer_info))
    return der.sequence(_SIGNED_DATA, der.tlv(der.CONTEXT_0, signed_data))


class _SignerParts(NamedTuple):
    signed_data_head: bytes  # version, digest algorithms, content info, certificates
    signer_info_head: bytes  # version, issuer and serial, digest algorithm


@lru_cache(maxsize=8)
def _signing_time_attribute(second: int) -> bytes:
    """The signingTime attribute of the UTC second `second` (passes share their second)."""
    moment = datetime.fromtimestamp(second, UTC)
    return der.sequence(_SIGNING_TIME, der.set_of(der.time(moment)))


# By the signer's identity: hashing a Signer hashes its key and certificates.
_parts_by_signer: dict[int, tuple[Signer, _SignerParts]] = {}


def _signer_parts(signer: Signer) -> _SignerParts:
    """What a signer's signatures share, encoded once per signer."""
    found = _parts_by_signer.get(id(signer))
    if found is not None and found[0] is signer:
        return found[1]
    if len(_parts_by_signer) > 16:
        _parts_by_signer.clear()
    parts = _encode_signer_parts(signer)
    _parts_by_signer[id(signer)] = (signer, parts)
    return parts


def _encode_signer_parts(signer: Signer) -> _SignerParts:
    certificates = der.tlv(
        der.CONTEXT_0,
        # A SET OF in DER, so sorted; Wallet finds the signer by issuer and serial.
        b"".join(
            sorted(
                cert.public_bytes(Encoding.DER)
                for cert in (signer.certificate, signer.intermediate)
            )
        ),
    )
    return _SignerParts(
        signed_data_head=der.integer(1)
        + der.set_of(_SHA256)
        + der.sequence(_DATA)  # detached: no content inside
        + certificates,
        signer_info_head=der.integer(1)
        + der.issuer_and_serial(signer.certificate.tbs_certificate_bytes)
        + _SHA256,
    )


def build_pkpass(
    content: PassContent,
    signer: Signer,
    images: dict[str, bytes],
    signing_time: datetime,
    localised: Sequence[PassContent] = (),
) -> bytes:
    """The member's signed .pkpass (application/vnd.apple.pkpass).

    `content` is the card in the program's default language (pass.json);
    `localised` the same card in other languages: with them, every language's
    `<lang>.lproj/pass.strings` (the default's included) is in the pass and its manifest.

    Raises ValueError when the content's identifiers differ from the certificate's
    (Wallet would drop the pass silently), when an image takes a reserved name,
    or for a naive `signing_time`.
    """
    if (content.pass_type_identifier, content.team_identifier) != (
        signer.pass_type_identifier,
        signer.team_identifier,
    ):
        raise ValueError(
            "the pass's passTypeIdentifier and teamIdentifier must be the certificate's: "
            f"{signer.pass_type_identifier} / {signer.team_identifier}"
        )
    if _RESERVED.intersection(images):
        raise ValueError("pass.json, manifest.json and signature are made here, not images")
    pass_entry = _Entry.stored(PASS_JSON, _write_json(pass_json(content)), listed=True)
    pictures = tuple(_image_entry(name, data) for name, data in sorted(images.items()))
    if localised:
        pictures += tuple(_strings_entries(content, localised))
    # The manifest's keys sorted, as `manifest` writes them (json's sort_keys).
    lines = sorted((pass_entry, *pictures), key=_name)
    manifest_bytes = b"{" + b",".join(entry.manifest_line for entry in lines) + b"}"
    return _zip(
        pictures,
        [
            pass_entry,
            _Entry.stored(MANIFEST, manifest_bytes, listed=False),
            _Entry.stored(SIGNATURE, signature(manifest_bytes, signer, signing_time), listed=False),
        ],
        signing_time,
    )


def _name(entry: _Entry) -> str:
    return entry.name


class _Entry(NamedTuple):
    name: str
    sha1: str
    manifest_line: bytes  # "name":"sha1", as in manifest.json
    method: int  # _STORED or _DEFLATE
    data: bytes  # as written in the zip: stored or deflated
    local_head: bytes  # the local header before its time and date
    local_tail: bytes  # after them: CRC, sizes, the name
    central_head: bytes  # the central record before its time and date
    central_tail: bytes  # after them, up to its offset
    name_bytes: bytes

    @classmethod
    def of(cls, name: str, data: bytes, *, deflate: bool) -> _Entry:
        method, written = _STORED, data
        if deflate:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as zip wants
            deflated = compressor.compress(data) + compressor.flush()
            if len(deflated) < len(data):
                method, written = _DEFLATE, deflated
        sha1 = hashlib.sha1(data).hexdigest()  # noqa: S324 (Apple's manifest is SHA-1)
        encoded = name.encode()
        crc, size = zlib.crc32(data), len(data)
        return cls(
            name,
            sha1,
            _quoted(name) + b':"' + sha1.encode() + b'"',
            method,
            written,
            _LOCAL_HEAD.pack(0x04034B50, _VERSION, 0, method),
            _LOCAL_TAIL.pack(crc, len(written), size, len(encoded), 0) + encoded,
            _CENTRAL_HEAD.pack(0x02014B50, _MADE_BY_UNIX, _VERSION, 0, method),
            _CENTRAL_TAIL.pack(crc, len(written), size, len(encoded), 0, 0, 0, 0, _FILE_MODE),
            encoded,
        )

    @classmethod
    def stored(cls, name: str, data: bytes, *, listed: bool) -> _Entry:
        """A file new in each pass, stored: only what its headers and the manifest need."""
        sha1 = hashlib.sha1(data).hexdigest() if listed else ""  # noqa: S324 (Apple's manifest)
        encoded = _encoded_name(name)
        crc, size = zlib.crc32(data), len(data)
        return cls(
            name,
            sha1,
            _quoted(name) + b':"' + sha1.encode() + b'"' if listed else b"",
            _STORED,
            data,
            _STORED_LOCAL_HEAD,
            _LOCAL_TAIL.pack(crc, size, size, len(encoded), 0) + encoded,
            _STORED_CENTRAL_HEAD,
            _CENTRAL_TAIL.pack(crc, size, size, len(encoded), 0, 0, 0, 0, _FILE_MODE),
            encoded,
        )


@lru_cache(maxsize=256)
def _encoded_name(name: str) -> bytes:
    return name.encode()


@lru_cache(maxsize=256)
def _quoted(name: str) -> bytes:
    return json.dumps(name).encode()


def _strings_entries(content: PassContent, localised: Sequence[PassContent]) -> list[_Entry]:
    default = _texts(content)
    texts = {content.words.language: default}
    for other in localised:
        texts.setdefault(other.words.language, _texts(other))
    return [
        _image_entry(name, data)
        for name, data in strings.files(default, tuple(sorted(texts.items())))
    ]


# A card's localisable texts by what they are made of (_state): members in the same
# state (balance, tier, rewards and their dates) share them. Laying a pass out is
# most of the strings' cost; this keeps it to once per language and state. Bounded:
# emptied when full (a state is a few hundred bytes).
_TEXTS: dict[tuple[object, ...], tuple[str, ...]] = {}
_TEXTS_MAX = 4096


def _state(content: PassContent) -> tuple[object, ...]:
    # Every field that pass_json turns into a localisable text or a field's presence;
    # not the ids, secrets or the member's name, which are never translated.
    return (
        content.words.language,
        content.kind,
        content.description,
        content.program_name,
        content.stamps_required,
        content.reward_name,
        content.member_name is not None,
        content.stamps,
        content.points,
        content.tier,
        tuple((name, expires) for _, name, expires in content.rewards),
        content.program_url,
        content.how_to_earn,
        content.terms,
        content.expiry_notice,
    )


def _texts(content: PassContent) -> tuple[str, ...]:
    state = _state(content)
    found = _TEXTS.get(state)
    if found is None:
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        found = _TEXTS[state] = tuple(strings.texts(pass_json(content)))
    return found


@lru_cache(maxsize=4096)
def _image_entry(name: str, data: bytes) -> _Entry:
    # Keyed by the bytes themselves: a bytes object caches its hash, and the images
    # come from caches (images.pass_images', the uploads'), so a lookup is cheap.
    return _Entry.of(name, data, deflate=True)


# Zip (PKWARE APPNOTE 6.3): local headers and data, then the central directory. Each
# header is split around its time and date (the pass's) and, in the central
# directory, its offset: the rest of an image's headers is made once, with its entry.
_LOCAL_HEAD = struct.Struct("<IHHH")
_LOCAL_TAIL = struct.Struct("<IIIHH")
_CENTRAL_HEAD = struct.Struct("<IHHHH")
_CENTRAL_TAIL = struct.Struct("<IIIHHHHHI")
_TIME_DATE = struct.Struct("<HH")
_OFFSET = struct.Struct("<I")
_END = struct.Struct("<IHHHHIIH")
_VERSION = 20  # 2.0: deflate
_MADE_BY_UNIX = (3 << 8) | _VERSION
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--, in the external attributes
_STORED = 0
_DEFLATE = 8
_STORED_LOCAL_HEAD = _LOCAL_HEAD.pack(0x04034B50, _VERSION, 0, _STORED)
_STORED_CENTRAL_HEAD = _CENTRAL_HEAD.pack(0x02014B50, _MADE_BY_UNIX, _VERSION, 0, _STORED)


def _zip(shared: tuple[_Entry, ...], own: list[_Entry], moment: datetime) -> bytes:
    """The zip of the `shared` entries (images, the same in many passes), then `own`."""
    time_date = _TIME_DATE.pack(*_dos_time(moment))
    # The images come first, so their headers and records, offsets included, are the
    # same in every pass with the same images signed in the same second.
    out, central, offset = _shared_block(shared, time_date)
    pieces = [out]
    records = [central]
    for entry in own:
        pieces += (entry.local_head, time_date, entry.local_tail, entry.data)
        records += (
            entry.central_head,
            time_date,
            entry.central_tail,
            _OFFSET.pack(offset),
            entry.name_bytes,
        )
        offset += 30 + len(entry.name_bytes) + len(entry.data)  # 30: the local header
    directory = b"".join(records)
    count = len(shared) + len(own)
    end = _END.pack(0x06054B50, 0, 0, count, count, len(directory), offset, 0)
    return b"".join(pieces) + directory + end


# By the entries' identities and the time: hashing the entries themselves would hash
# every field of each. Each value keeps its entries, so an id is not reused meanwhile.
_blocks: dict[tuple[bytes, tuple[int, ...]], tuple[tuple[_Entry, ...], bytes, bytes, int]] = {}


def _shared_block(entries: tuple[_Entry, ...], time_date: bytes) -> tuple[bytes, bytes, int]:
    """The entries' local headers and data, their central records, and their size."""
    key = (time_date, tuple(map(id, entries)))
    found = _blocks.get(key)
    if found is None:
        if len(_blocks) >= 64:
            _blocks.clear()
        found = _blocks[key] = (entries, *_block(entries, time_date))
    return found[1], found[2], found[3]


def _block(entries: tuple[_Entry, ...], time_date: bytes) -> tuple[bytes, bytes, int]:
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for entry in entries:
        out += (entry.local_head, time_date, entry.local_tail, entry.data)
        central += (
            entry.central_head,
            time_date,
            entry.central_tail,
            _OFFSET.pack(offset),
            entry.name_bytes,
        )
        offset += 30 + len(entry.name_bytes) + len(entry.data)
    return b"".join(out), b"".join(central), offset


def _dos_time(moment: datetime) -> tuple[int, int]:
    """MS-DOS time and date fields, in UTC; the format starts in 1980."""
    if moment.tzinfo is None:
        raise ValueError("a signing time must be timezone-aware")
    return _dos_second(int(moment.timestamp()))


@lru_cache(maxsize=8)
def _dos_second(second: int) -> tuple[int, int]:
    utc = max(datetime.fromtimestamp(second, UTC), datetime(1980, 1, 1, tzinfo=UTC))
    return (
        (utc.hour << 11) | (utc.minute << 5) | (utc.second // 2),
        ((utc.year - 1980) << 9) | (utc.month << 5) | utc.day,
    )
