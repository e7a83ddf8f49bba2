"""The .pkpass: pass.json, images, manifest.json and signature, zipped at the root.

https://developer.apple.com/documentation/walletpasses/building-a-pass

Measured choices (one core; bench/passes.py): the RSA signature is about two thirds
of a pass's time, so the rest is kept small. An image's SHA-1, CRC and deflated
bytes are computed once and cached by its bytes (the images come from a cache, so
the same objects recur), and the zip is written here, because `zipfile` cannot take
deflated bytes: it hashed and deflated the images again for every pass, about 930 µs
a pass against 430 µs.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
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
_SHA256_HASH = hashes.SHA256()


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
    parts = _signer_parts(signer)
    signed_attributes = der.set_of(
        _CONTENT_TYPE_DATA,
        der.sequence(_SIGNING_TIME, der.set_of(der.time(signing_time))),
        der.sequence(
            _MESSAGE_DIGEST,
            der.set_of(der.tlv(der.OCTET_STRING, hashlib.sha256(manifest_bytes).digest())),
        ),
    )
    # RFC 5652 5.4: the signature covers the attributes' SET OF encoding; in the
    # SignerInfo they are carried under the implicit tag [0] instead.
    signed = signer.private_key.sign(signed_attributes, _PKCS1V15, _SHA256_HASH)
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


@lru_cache(maxsize=16)
def _signer_parts(signer: Signer) -> _SignerParts:
    """What a signer's signatures share, encoded once per signer."""
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
    pass_bytes = json.dumps(pass_json(content), ensure_ascii=False, separators=(",", ":")).encode()
    entries = [_Entry.of(PASS_JSON, pass_bytes)]
    entries.extend(_image_entry(name, data) for name, data in sorted(images.items()))
    if localised:
        entries.extend(_strings_entries(content, localised))
    manifest_bytes = _manifest_json({entry.name: entry.sha1 for entry in entries})
    entries.append(_Entry.of(MANIFEST, manifest_bytes))
    entries.append(_Entry.of(SIGNATURE, signature(manifest_bytes, signer, signing_time)))
    return _zip(entries, signing_time)


class _Entry(NamedTuple):
    name: str
    sha1: str
    crc: int
    size: int
    deflated: bytes

    @classmethod
    def of(cls, name: str, data: bytes) -> _Entry:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as zip wants
        return cls(
            name,
            hashlib.sha1(data).hexdigest(),  # noqa: S324 (Apple's manifest is SHA-1)
            zlib.crc32(data),
            len(data),
            compressor.compress(data) + compressor.flush(),
        )


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
    # come from images.pass_images' cache, so a lookup is an identity check.
    return _Entry.of(name, data)


# Zip (PKWARE APPNOTE 6.3): local headers and data, then the central directory.
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_VERSION = 20  # 2.0: deflate
_MADE_BY_UNIX = (3 << 8) | _VERSION
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--, in the external attributes
_DEFLATE = 8


def _zip(entries: list[_Entry], moment: datetime) -> bytes:
    time, date = _dos_time(moment)
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for entry in entries:
        name = entry.name.encode()
        size = len(entry.deflated)
        header = _LOCAL.pack(
            0x04034B50, _VERSION, 0, _DEFLATE, time, date, entry.crc, size, entry.size, len(name), 0
        )
        out += (header, name, entry.deflated)
        central.append(
            _CENTRAL.pack(
                0x02014B50,
                _MADE_BY_UNIX,
                _VERSION,
                0,
                _DEFLATE,
                time,
                date,
                entry.crc,
                size,
                entry.size,
                len(name),
                0,
                0,
                0,
                0,
                _FILE_MODE,
                offset,
            )
            + name
        )
        offset += len(header) + len(name) + size
    directory = b"".join(central)
    end = _END.pack(0x06054B50, 0, 0, len(entries), len(entries), len(directory), offset, 0)
    return b"".join(out) + directory + end


def _dos_time(moment: datetime) -> tuple[int, int]:
    """MS-DOS time and date fields, in UTC; the format starts in 1980."""
    if moment.tzinfo is None:
        raise ValueError("a signing time must be timezone-aware")
    utc = max(moment.astimezone(UTC), datetime(1980, 1, 1, tzinfo=UTC))
    return (
        (utc.hour << 11) | (utc.minute << 5) | (utc.second // 2),
        ((utc.year - 1980) << 9) | (utc.month << 5) | utc.day,
    )
