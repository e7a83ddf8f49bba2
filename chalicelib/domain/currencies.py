"""ISO 4217 active currency codes and their minor units (decimal places).

Data, not logic: the number of decimals a money amount may carry.
"""

from __future__ import annotations

from decimal import Decimal

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR "
    "FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR "
    "KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV "
    "MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR "
    "SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH "
    "USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}


# The default `points.max_purchase`: about 200 euros' worth, rounded to a round number
# in the currency's own units, for the currencies whose unit is far from a euro's (200
# yen is a coffee, not a suspicious purchase). Every other currency: 200 of its units.
# A rough scale, not an exchange rate: an owner sets the program's own for precision.
_LARGE_PURCHASE = {
    "ARS": 200_000,
    "BRL": 1_200,
    "CLP": 200_000,
    "CNY": 1_500,
    "COP": 1_000_000,
    "CZK": 5_000,
    "DKK": 1_500,
    "EGP": 10_000,
    "HKD": 1_500,
    "HUF": 80_000,
    "IDR": 3_000_000,
    "INR": 20_000,
    "ISK": 30_000,
    "JPY": 30_000,
    "KRW": 300_000,
    "MAD": 2_000,
    "MXN": 4_000,
    "NOK": 2_000,
    "PHP": 12_000,
    "PKR": 60_000,
    "PLN": 1_000,
    "RON": 1_000,
    "RUB": 20_000,
    "SEK": 2_000,
    "THB": 8_000,
    "TRY": 8_000,
    "TWD": 7_000,
    "UAH": 8_000,
    "VND": 5_000_000,
    "ZAR": 4_000,
}


def default_max_purchase(currency: str) -> Decimal:
    """The largest purchase a barista records alone when the program sets none."""
    return Decimal(_LARGE_PURCHASE.get(currency, 200))
