"""Just enough DER (ITU-T X.690) to write a CMS SignedData and read a certificate's issuer.

`cryptography`'s PKCS#7 builder stamps its own clock as the signing time; the pass
signature takes the signing time as an argument, so it is assembled here.
"""

from __future__ import annotations

from datetime import UTC, datetime

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = b"\x05\x00"
OBJECT_IDENTIFIER = 0x06
UTF8_STRING = 0x0C
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
CONTEXT_0 = 0xA0  # [0], constructed


def tlv(tag: int, content: bytes) -> bytes:
    """One element: tag, definite length, content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def sequence(*elements: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(elements))


def set_of(*elements: bytes) -> bytes:
    """A SET OF: DER orders its elements by their encodings."""
    return tlv(SET, b"".join(sorted(elements)))


def integer(value: int) -> bytes:
    # Two's complement, shortest form; the extra bit keeps a positive value positive.
    return tlv(INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray((arcs[0] * 40 + arcs[1],))
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OBJECT_IDENTIFIER, bytes(body))


def utf8_string(text: str) -> bytes:
    return tlv(UTF8_STRING, text.encode())


def time(moment: datetime) -> bytes:
    """RFC 5652 section 11.3: UTCTime from 1950 to 2049, GeneralizedTime otherwise."""
    if moment.tzinfo is None:
        raise ValueError("a signing time must be timezone-aware")
    utc = moment.astimezone(UTC)
    if 1950 <= utc.year < 2050:
        return tlv(UTC_TIME, utc.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(GENERALIZED_TIME, f"{utc.year:04d}{utc:%m%d%H%M%S}Z".encode())


def read(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """The element at `offset`: (tag, start of its content, end of the element)."""
    tag, first = data[offset], data[offset + 1]
    start = offset + 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        size = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + size
    if end > len(data):
        raise ValueError("truncated DER element")
    return tag, start, end


def issuer_and_serial(tbs_certificate: bytes) -> bytes:
    """CMS IssuerAndSerialNumber, with the issuer's bytes exactly as in the certificate.

    Re-encoding a parsed name could change its string types; a verifier compares bytes.
    """
    tag, position, _ = read(tbs_certificate)
    if tag != SEQUENCE:
        raise ValueError("not a TBSCertificate")
    tag, _, end = read(tbs_certificate, position)
    if tag == CONTEXT_0:  # the optional [0] version
        position = end
        tag, _, end = read(tbs_certificate, position)
    serial = tbs_certificate[position:end]
    _, _, end = read(tbs_certificate, end)  # the signature algorithm
    tag, _, issuer_end = read(tbs_certificate, end)
    if tag != SEQUENCE:
        raise ValueError("no issuer name in the TBSCertificate")
    return sequence(tbs_certificate[end:issuer_end], serial)
