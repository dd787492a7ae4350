"""Time zones of destinations: one per country, and per region where a country spans several.

Every country of the IANA ``zone.tab`` has its zone (the capital's, or the most populous where the table lists
several), written out here rather than read from a zone database at run time so that a destination's dates
never depend on the machine. Countries spanning several zones also map their regions (ISO 3166-2 codes without
the country prefix, as the ``holidays`` package names subdivisions) to the region's zone; a region not in the
table gets the country's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# "CC Zone/Name" pairs, generated from tzdata's zone.tab (2025); the first zone of a country unless that is an
# outlying one (AU Lord Howe, BR Noronha, CA St John's, RU Kaliningrad...), then its main zone.
_COUNTRY_TABLE: Final = """
AD Europe/Andorra AE Asia/Dubai AF Asia/Kabul AG America/Antigua AI America/Anguilla AL Europe/Tirane
AM Asia/Yerevan AO Africa/Luanda AQ Antarctica/McMurdo AR America/Argentina/Buenos_Aires AS Pacific/Pago_Pago
AT Europe/Vienna AU Australia/Sydney AW America/Aruba AX Europe/Mariehamn AZ Asia/Baku BA Europe/Sarajevo
BB America/Barbados BD Asia/Dhaka BE Europe/Brussels BF Africa/Ouagadougou BG Europe/Sofia BH Asia/Bahrain
BI Africa/Bujumbura BJ Africa/Porto-Novo BL America/St_Barthelemy BM Atlantic/Bermuda BN Asia/Brunei
BO America/La_Paz BQ America/Kralendijk BR America/Sao_Paulo BS America/Nassau BT Asia/Thimphu
BW Africa/Gaborone BY Europe/Minsk BZ America/Belize CA America/Toronto CC Indian/Cocos CD Africa/Kinshasa
CF Africa/Bangui CG Africa/Brazzaville CH Europe/Zurich CI Africa/Abidjan CK Pacific/Rarotonga
CL America/Santiago CM Africa/Douala CN Asia/Shanghai CO America/Bogota CR America/Costa_Rica
CU America/Havana CV Atlantic/Cape_Verde CW America/Curacao CX Indian/Christmas CY Asia/Nicosia
CZ Europe/Prague DE Europe/Berlin DJ Africa/Djibouti DK Europe/Copenhagen DM America/Dominica
DO America/Santo_Domingo DZ Africa/Algiers EC America/Guayaquil EE Europe/Tallinn EG Africa/Cairo
EH Africa/El_Aaiun ER Africa/Asmara ES Europe/Madrid ET Africa/Addis_Ababa FI Europe/Helsinki FJ Pacific/Fiji
FK Atlantic/Stanley FM Pacific/Chuuk FO Atlantic/Faroe FR Europe/Paris GA Africa/Libreville GB Europe/London
GD America/Grenada GE Asia/Tbilisi GF America/Cayenne GG Europe/Guernsey GH Africa/Accra GI Europe/Gibraltar
GL America/Nuuk GM Africa/Banjul GN Africa/Conakry GP America/Guadeloupe GQ Africa/Malabo GR Europe/Athens
GS Atlantic/South_Georgia GT America/Guatemala GU Pacific/Guam GW Africa/Bissau GY America/Guyana
HK Asia/Hong_Kong HN America/Tegucigalpa HR Europe/Zagreb HT America/Port-au-Prince HU Europe/Budapest
ID Asia/Jakarta IE Europe/Dublin IL Asia/Jerusalem IM Europe/Isle_of_Man IN Asia/Kolkata IO Indian/Chagos
IQ Asia/Baghdad IR Asia/Tehran IS Atlantic/Reykjavik IT Europe/Rome JE Europe/Jersey JM America/Jamaica
JO Asia/Amman JP Asia/Tokyo KE Africa/Nairobi KG Asia/Bishkek KH Asia/Phnom_Penh KI Pacific/Tarawa
KM Indian/Comoro KN America/St_Kitts KP Asia/Pyongyang KR Asia/Seoul KW Asia/Kuwait KY America/Cayman
KZ Asia/Almaty LA Asia/Vientiane LB Asia/Beirut LC America/St_Lucia LI Europe/Vaduz LK Asia/Colombo
LR Africa/Monrovia LS Africa/Maseru LT Europe/Vilnius LU Europe/Luxembourg LV Europe/Riga LY Africa/Tripoli
MA Africa/Casablanca MC Europe/Monaco MD Europe/Chisinau ME Europe/Podgorica MF America/Marigot
MG Indian/Antananarivo MH Pacific/Majuro MK Europe/Skopje ML Africa/Bamako MM Asia/Yangon MN Asia/Ulaanbaatar
MO Asia/Macau MP Pacific/Saipan MQ America/Martinique MR Africa/Nouakchott MS America/Montserrat
MT Europe/Malta MU Indian/Mauritius MV Indian/Maldives MW Africa/Blantyre MX America/Mexico_City
MY Asia/Kuala_Lumpur MZ Africa/Maputo NA Africa/Windhoek NC Pacific/Noumea NE Africa/Niamey NF Pacific/Norfolk
NG Africa/Lagos NI America/Managua NL Europe/Amsterdam NO Europe/Oslo NP Asia/Kathmandu NR Pacific/Nauru
NU Pacific/Niue NZ Pacific/Auckland OM Asia/Muscat PA America/Panama PE America/Lima PF Pacific/Tahiti
PG Pacific/Port_Moresby PH Asia/Manila PK Asia/Karachi PL Europe/Warsaw PM America/Miquelon
PN Pacific/Pitcairn PR America/Puerto_Rico PS Asia/Gaza PT Europe/Lisbon PW Pacific/Palau PY America/Asuncion
QA Asia/Qatar RE Indian/Reunion RO Europe/Bucharest RS Europe/Belgrade RU Europe/Moscow RW Africa/Kigali
SA Asia/Riyadh SB Pacific/Guadalcanal SC Indian/Mahe SD Africa/Khartoum SE Europe/Stockholm SG Asia/Singapore
SH Atlantic/St_Helena SI Europe/Ljubljana SJ Arctic/Longyearbyen SK Europe/Bratislava SL Africa/Freetown
SM Europe/San_Marino SN Africa/Dakar SO Africa/Mogadishu SR America/Paramaribo SS Africa/Juba
ST Africa/Sao_Tome SV America/El_Salvador SX America/Lower_Princes SY Asia/Damascus SZ Africa/Mbabane
TC America/Grand_Turk TD Africa/Ndjamena TF Indian/Kerguelen TG Africa/Lome TH Asia/Bangkok TJ Asia/Dushanbe
TK Pacific/Fakaofo TL Asia/Dili TM Asia/Ashgabat TN Africa/Tunis TO Pacific/Tongatapu TR Europe/Istanbul
TT America/Port_of_Spain TV Pacific/Funafuti TW Asia/Taipei TZ Africa/Dar_es_Salaam UA Europe/Kyiv
UG Africa/Kampala UM Pacific/Midway US America/New_York UY America/Montevideo UZ Asia/Tashkent
VA Europe/Vatican VC America/St_Vincent VE America/Caracas VG America/Tortola VI America/St_Thomas
VN Asia/Ho_Chi_Minh VU Pacific/Efate WF Pacific/Wallis WS Pacific/Apia XK Europe/Belgrade YE Asia/Aden
YT Indian/Mayotte ZA Africa/Johannesburg ZM Africa/Lusaka ZW Africa/Harare
"""


def _pairs(table: str) -> dict[str, str]:
    words = table.split()
    return dict(zip(words[::2], words[1::2], strict=True))


COUNTRY_ZONES: Final[Mapping[str, str]] = _pairs(_COUNTRY_TABLE)

# Region -> zone where it differs from the country's zone (or is worth naming for clarity).
_REGION_TABLE: Final[Mapping[str, str]] = {
    "US": """
        AL America/Chicago AK America/Anchorage AZ America/Phoenix AR America/Chicago CA America/Los_Angeles
        CO America/Denver HI Pacific/Honolulu ID America/Boise IL America/Chicago IN America/Indiana/Indianapolis
        IA America/Chicago KS America/Chicago KY America/Kentucky/Louisville LA America/Chicago MI America/Detroit
        MN America/Chicago MS America/Chicago MO America/Chicago MT America/Denver NE America/Chicago
        NV America/Los_Angeles NM America/Denver ND America/Chicago OK America/Chicago OR America/Los_Angeles
        SD America/Chicago TN America/Chicago TX America/Chicago UT America/Denver WA America/Los_Angeles
        WI America/Chicago WY America/Denver PR America/Puerto_Rico GU Pacific/Guam VI America/St_Thomas
        AS Pacific/Pago_Pago MP Pacific/Saipan
    """,
    "CA": """
        AB America/Edmonton BC America/Vancouver MB America/Winnipeg NB America/Moncton NL America/St_Johns
        NS America/Halifax NT America/Edmonton NU America/Iqaluit PE America/Halifax SK America/Regina
        YT America/Whitehorse
    """,
    "AU": """
        NT Australia/Darwin QLD Australia/Brisbane SA Australia/Adelaide TAS Australia/Hobart
        VIC Australia/Melbourne WA Australia/Perth
    """,
    "BR": """
        AC America/Rio_Branco AL America/Maceio AP America/Belem AM America/Manaus BA America/Bahia
        CE America/Fortaleza MA America/Fortaleza MT America/Cuiaba MS America/Campo_Grande PA America/Belem
        PB America/Fortaleza PE America/Recife PI America/Fortaleza RN America/Fortaleza RO America/Porto_Velho
        RR America/Boa_Vista SE America/Maceio TO America/Araguaina
    """,
    "MX": """
        BCN America/Tijuana BCS America/Mazatlan SON America/Hermosillo SIN America/Mazatlan NAY America/Mazatlan
        CHH America/Chihuahua ROO America/Cancun NLE America/Monterrey COA America/Monterrey
        TAM America/Matamoros YUC America/Merida CAM America/Merida
    """,
    "RU": """
        KGD Europe/Kaliningrad SAM Europe/Samara UD Europe/Samara SVE Asia/Yekaterinburg CHE Asia/Yekaterinburg
        TYU Asia/Yekaterinburg BA Asia/Yekaterinburg PER Asia/Yekaterinburg OMS Asia/Omsk NVS Asia/Novosibirsk
        KYA Asia/Krasnoyarsk IRK Asia/Irkutsk SA Asia/Yakutsk PRI Asia/Vladivostok KHA Asia/Vladivostok
        MAG Asia/Magadan SAK Asia/Sakhalin KAM Asia/Kamchatka CHU Asia/Anadyr
    """,
    "ID": """
        KB Asia/Pontianak KT Asia/Pontianak BA Asia/Makassar NB Asia/Makassar NT Asia/Makassar SN Asia/Makassar
        SS Asia/Makassar SG Asia/Makassar SA Asia/Makassar KS Asia/Makassar KI Asia/Makassar
        PA Asia/Jayapura PB Asia/Jayapura MA Asia/Jayapura MU Asia/Jayapura
    """,
    "ES": "CN Atlantic/Canary",
    "PT": "20 Atlantic/Azores 30 Atlantic/Madeira",
    "EC": "W Pacific/Galapagos",
    "CL": "MA Pacific/Easter",
    "CD": "HK Africa/Lubumbashi HL Africa/Lubumbashi LU Africa/Lubumbashi",
    "MY": "SK Asia/Kuching SB Asia/Kuching",
    "NZ": "CIT Pacific/Chatham",
    "CN": "XJ Asia/Urumqi",
    "MN": "HD Asia/Hovd UVS Asia/Hovd",
}
REGION_ZONES: Final[Mapping[str, Mapping[str, str]]] = {
    country: _pairs(table) for country, table in _REGION_TABLE.items()
}


def region_code(country: str, region: str | None) -> str | None:
    """A region as the tables key it: upper case, without the ``US-`` style country prefix (``None`` if blank)."""
    if not region or not region.strip():
        return None
    code = region.strip().upper()
    prefix = f"{country.upper()}-"
    return code[len(prefix) :] if code.startswith(prefix) else code


def zone_name(country: str, region: str | None = None) -> str | None:
    """The zone of a destination: its region's where the table has one, else its country's (None if unknown)."""
    code = country.upper()
    sub = region_code(code, region)
    if sub is not None:
        found = REGION_ZONES.get(code, {}).get(sub)
        if found is not None:
            return found
    return COUNTRY_ZONES.get(code)
