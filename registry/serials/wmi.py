"""World manufacturer identifiers: the region and country a VIN's first characters name (ISO 3780, as
SAE International assigns them) and the makers of common WMIs.

Sources: ISO 3780 country ranges as tabulated in the Wikipedia article "Vehicle identification number"
(section "World manufacturer identifier"); maker names from NHTSA's vPIC manufacturer records. The
maker table holds only frequent WMIs; an unknown WMI is not an error.
"""
from __future__ import annotations

# ISO 3780 orders the characters of a range A..Z (without I, O, Q), then 1..9, then 0.
_ORDER = "ABCDEFGHJKLMNPRSTUVWXYZ1234567890"
_RANK = {c: i for i, c in enumerate(_ORDER)}

REGIONS = {
    **dict.fromkeys("ABCDEFGH", "Africa"), **dict.fromkeys("JKLMNPR", "Asia"),
    **dict.fromkeys("STUVWXYZ", "Europe"), **dict.fromkeys("12345", "North America"),
    **dict.fromkeys("67", "Oceania"), **dict.fromkeys("89", "South America"),
}

# (first character, second-character range from, to, country)
_COUNTRY_RANGES = [
    ("A", "A", "H", "South Africa"), ("A", "J", "N", "Ivory Coast"),
    ("B", "A", "E", "Angola"), ("B", "F", "K", "Kenya"), ("B", "L", "R", "Tanzania"),
    ("C", "A", "E", "Benin"), ("C", "F", "K", "Madagascar"), ("C", "L", "R", "Tunisia"),
    ("D", "A", "E", "Egypt"), ("D", "F", "K", "Morocco"), ("D", "L", "R", "Zambia"),
    ("E", "A", "E", "Ethiopia"), ("E", "F", "K", "Mozambique"),
    ("F", "A", "E", "Ghana"), ("F", "F", "K", "Nigeria"),
    ("J", "A", "0", "Japan"),
    ("K", "A", "E", "Sri Lanka"), ("K", "F", "K", "Israel"), ("K", "L", "R", "South Korea"),
    ("K", "S", "0", "Kazakhstan"),
    ("L", "A", "0", "China"),
    ("M", "A", "E", "India"), ("M", "F", "K", "Indonesia"), ("M", "L", "R", "Thailand"),
    ("M", "S", "0", "Myanmar"),
    ("N", "A", "E", "Iran"), ("N", "F", "K", "Pakistan"), ("N", "L", "R", "Turkey"),
    ("P", "A", "E", "Philippines"), ("P", "F", "K", "Singapore"), ("P", "L", "R", "Malaysia"),
    ("R", "A", "E", "United Arab Emirates"), ("R", "F", "K", "Taiwan"), ("R", "L", "R", "Vietnam"),
    ("R", "S", "0", "Saudi Arabia"),
    ("S", "A", "M", "United Kingdom"), ("S", "N", "T", "Germany"), ("S", "U", "Z", "Poland"),
    ("S", "1", "4", "Latvia"),
    ("T", "A", "H", "Switzerland"), ("T", "J", "P", "Czech Republic"), ("T", "R", "V", "Hungary"),
    ("T", "W", "1", "Portugal"),
    ("U", "H", "M", "Denmark"), ("U", "N", "T", "Ireland"), ("U", "U", "Z", "Romania"),
    ("U", "5", "7", "Slovakia"),
    ("V", "A", "E", "Austria"), ("V", "F", "R", "France"), ("V", "S", "W", "Spain"),
    ("V", "X", "2", "Serbia"), ("V", "3", "5", "Croatia"), ("V", "6", "0", "Estonia"),
    ("W", "A", "0", "Germany"),
    ("X", "A", "E", "Bulgaria"), ("X", "F", "K", "Greece"), ("X", "L", "R", "Netherlands"),
    ("X", "S", "W", "Russia"), ("X", "X", "2", "Luxembourg"), ("X", "3", "0", "Russia"),
    ("Y", "A", "E", "Belgium"), ("Y", "F", "K", "Finland"), ("Y", "L", "R", "Malta"),
    ("Y", "S", "W", "Sweden"), ("Y", "X", "2", "Norway"), ("Y", "3", "5", "Belarus"),
    ("Y", "6", "0", "Ukraine"),
    ("Z", "A", "R", "Italy"), ("Z", "X", "2", "Slovenia"), ("Z", "3", "5", "Lithuania"),
    ("1", "A", "0", "United States"), ("4", "A", "0", "United States"), ("5", "A", "0", "United States"),
    ("2", "A", "0", "Canada"),
    ("3", "A", "W", "Mexico"), ("3", "X", "7", "Costa Rica"), ("3", "8", "9", "Cayman Islands"),
    ("6", "A", "W", "Australia"),
    ("7", "A", "E", "New Zealand"),
    ("8", "A", "E", "Argentina"), ("8", "F", "K", "Chile"), ("8", "L", "R", "Ecuador"),
    ("8", "S", "W", "Peru"), ("8", "X", "2", "Venezuela"),
    ("9", "A", "E", "Brazil"), ("9", "F", "K", "Colombia"), ("9", "L", "R", "Paraguay"),
    ("9", "S", "W", "Uruguay"), ("9", "X", "2", "Trinidad and Tobago"), ("9", "3", "9", "Brazil"),
]

COUNTRIES: dict[str, str] = {}
for _first, _low, _high, _country in _COUNTRY_RANGES:
    for _second in _ORDER[_RANK[_low]:_RANK[_high] + 1]:
        COUNTRIES[_first + _second] = _country

MANUFACTURERS = {
    "19U": "Acura", "1B3": "Dodge", "1C3": "Chrysler", "1C4": "Chrysler (Jeep, Dodge)", "1C6": "Ram",
    "1FA": "Ford", "1FD": "Ford (incomplete vehicle)", "1FM": "Ford (MPV)", "1FT": "Ford (truck)",
    "1G1": "Chevrolet", "1G4": "Buick", "1G6": "Cadillac", "1GC": "Chevrolet (truck)", "1GT": "GMC (truck)",
    "1GY": "Cadillac", "1HD": "Harley-Davidson", "1HG": "Honda (USA)", "1J4": "Jeep", "1LN": "Lincoln",
    "1M8": "Motor Coach Industries", "1N4": "Nissan (USA)", "1N6": "Nissan (USA, truck)", "1VW": "Volkswagen (USA)",
    "1ZV": "Ford (AutoAlliance International)", "2C3": "Chrysler (Canada)", "2FA": "Ford (Canada)",
    "2FT": "Ford (Canada, truck)", "2G1": "Chevrolet (Canada)", "2GC": "Chevrolet (Canada, truck)",
    "2HG": "Honda (Canada)", "2T1": "Toyota (Canada)", "3FA": "Ford (Mexico)", "3GN": "Chevrolet (Mexico)",
    "3N1": "Nissan (Mexico)", "3VW": "Volkswagen (Mexico)", "4JG": "Mercedes-Benz (USA)", "4T1": "Toyota (USA)",
    "4T3": "Toyota (USA, MPV)", "5FN": "Honda (USA, MPV)", "5UX": "BMW (USA)", "5YJ": "Tesla",
    "7SA": "Tesla", "JA3": "Mitsubishi", "JF1": "Subaru", "JHM": "Honda", "JKA": "Kawasaki (motorcycle)",
    "JM1": "Mazda", "JN1": "Nissan", "JS1": "Suzuki (motorcycle)", "JT2": "Toyota", "JTD": "Toyota",
    "JTE": "Toyota (MPV)", "JTH": "Lexus", "JYA": "Yamaha (motorcycle)", "KL1": "Chevrolet (Korea)",
    "KMH": "Hyundai", "KMT": "Genesis", "KNA": "Kia", "KND": "Kia (MPV)", "LRW": "Tesla (China)",
    "SAJ": "Jaguar", "SAL": "Land Rover", "SCC": "Lotus", "SCF": "Aston Martin", "TMB": "Škoda",
    "VF1": "Renault", "VF3": "Peugeot", "VF7": "Citroën", "VSS": "SEAT", "WAU": "Audi", "WBA": "BMW",
    "WBS": "BMW M", "WDB": "Mercedes-Benz", "WDD": "Mercedes-Benz", "W1K": "Mercedes-Benz",
    "WMW": "MINI", "WP0": "Porsche", "WVW": "Volkswagen", "WV1": "Volkswagen (commercial)",
    "WV2": "Volkswagen (bus, van)", "YS3": "Saab", "YV1": "Volvo", "ZAR": "Alfa Romeo", "ZFA": "Fiat",
    "ZFF": "Ferrari", "ZHW": "Lamborghini",
}


def describe(vin: str) -> dict:
    """Region, country and maker of a VIN's WMI (requires at least 3 characters)."""
    facts = {"wmi": vin[:3], "region": REGIONS.get(vin[0]), "country": COUNTRIES.get(vin[:2])}
    maker = MANUFACTURERS.get(vin[:3])
    if maker is not None:
        facts["manufacturer"] = maker
    return facts
