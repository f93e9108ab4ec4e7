"""Generate the administrative units in wards/data/ from vietnamadminunits.

Source: the PyPI package vietnamadminunits, version 1.0.4 exactly (pinned with
its hash in scripts/units-requirements.txt), MIT licence, Copyright (c) 2025
Tran Ngoc Minh Hieu, https://github.com/tranngocminhhieu/vietnamadminunits.
Its author compiled the data from the General Statistics Office's list of
administrative units (danhmuchanhchinh.gso.gov.vn) and the Department of
Surveying, Mapping and Geographic Information's merger lookup
(sapnhap.bando.com.vn: the 2025 units, their coordinates and areas, and which
old units went into each new one). Written on 2026-11-30.

Only the package's data files are read (data/dataset.db, a SQLite database,
and data/converter_2025.json): nothing of it is imported or run, so it is
installed without its dependencies. `make units` does that in a throwaway
virtualenv (var/units-venv) and runs this script there; the project's own
requirements do not include the package.

The files written, and the choices made in them, are described in
wards/data/SOURCES.md. The script refuses to write anything when the source
does not hold the counts or the links that file promises.
"""

import csv
import importlib.metadata
import importlib.util
import json
import re
import sqlite3
import sys
from collections import Counter, defaultdict
from pathlib import Path

PACKAGE = "vietnamadminunits"
VERSION = "1.0.4"
VALID_FROM = "2025-07-01"
VALID_TO = "2025-06-30"
OUT = Path(__file__).resolve().parent.parent / "wards" / "data"

# Official counts on 1 July 2025 (Resolution 202/2025/QH15 for the provinces;
# the National Assembly Standing Committee's resolutions for the communes).
EXPECTED_2025 = {"xa": 2621, "phuong": 687, "dac_khu": 13}
EXPECTED_PROVINCES = {"2025": 34, "legacy": 63}

# The kind is read from the name's prefix. The source also has a type column,
# but it contradicts the name for a few units (Phường Việt Hòa 10543 is typed
# Xã): the name agrees with the official list and with the second source.
UNIT_KINDS = {
    "Phường": "phuong",
    "Xã": "xa",
    "Thị trấn": "thi_tran",
    "Đặc khu": "dac_khu",
}
DISTRICT_KINDS = {
    "Quận": "quan",
    "Huyện": "huyen",
    "Thị xã": "thi_xa",
    "Thành phố": "thanh_pho",
}
PROVINCE_KINDS = {"Tỉnh": "tinh", "Thành phố": "thanh_pho"}


class SourceError(Exception):
    """The source does not hold what the shipped files promise."""


def split_name(name: str, kinds: dict[str, str]) -> tuple[str, str, str]:
    """Return (official name, short name, kind) of a full name such as "Phường 1".

    The prefix is written as the official list writes it ("Thị Trấn Óc Eo" in the
    source becomes "Thị trấn Óc Eo"). A numbered unit keeps its prefix in the
    short name ("Phường 1"), since a bare number names nothing.
    """
    for prefix, kind in kinds.items():
        if name.casefold().startswith(prefix.casefold() + " "):
            rest = name[len(prefix) + 1 :].strip()
            official = f"{prefix} {rest}"
            return official, (official if rest.isdigit() else rest), kind
    raise SourceError(f"{name!r} does not start with a known kind of unit.")


def package_data() -> Path:
    """Return the data folder of the installed package, refusing another version."""
    try:
        installed = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise SourceError(f"{PACKAGE} is not installed: run `make units`.") from None
    if installed != VERSION:
        raise SourceError(
            f"{PACKAGE} {installed} is installed; this script reads {VERSION}."
        )
    spec = importlib.util.find_spec(PACKAGE)  # finds the folder without importing it
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def read_rows(db: Path, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


def coordinate(value: float | None) -> str:
    return "" if value is None else repr(value)


def build_2025(db: Path) -> tuple[list[dict], list[dict], dict]:
    """Provinces and units in force from 1 July 2025, and their source keys."""
    provinces: dict[str, dict] = {}
    units: list[dict] = []
    keys: dict[tuple[str, str], str] = {}
    province_keys: dict[str, str] = {}
    rows = read_rows(db, "SELECT * FROM admin_units")
    for row in rows:
        pcode = row["provinceCode"]
        pname, pshort, _ = split_name(row["province"], PROVINCE_KINDS)
        if pshort != row["provinceShort"]:
            raise SourceError(
                f"Province {pcode}: {pshort!r} != {row['provinceShort']!r}"
            )
        provinces[pcode] = {
            "code": pcode,
            "name": pname,
            "short_name": pshort,
            "valid_from": VALID_FROM,
        }
        province_keys[row["provinceKey"]] = pcode
        name, short, kind = split_name(row["ward"], UNIT_KINDS)
        if short != row["wardShort"]:
            raise SourceError(
                f"Unit {row['wardCode']}: {short!r} != {row['wardShort']!r}"
            )
        if UNIT_KINDS.get(row["wardType"]) != kind:
            print(
                f"  {row['wardCode']} {name}: the source's type says {row['wardType']}"
            )
        units.append(
            {
                "code": row["wardCode"],
                "name": name,
                "short_name": short,
                "kind": kind,
                "province_code": pcode,
                "latitude": coordinate(row["wardLat"]),
                "longitude": coordinate(row["wardLon"]),
                "valid_from": VALID_FROM,
            }
        )
        keys[(row["provinceKey"], row["wardKey"])] = row["wardCode"]
    if len(keys) != len(rows):
        raise SourceError("Two 2025 units share a province and name key.")
    return (
        sorted_by_code(provinces.values()),
        sorted_by_code(units),
        {
            "units": keys,
            "provinces": province_keys,
        },
    )


def build_legacy(db: Path) -> tuple[list[dict], list[dict], dict]:
    """Provinces and units in force until 30 June 2025, and their source keys.

    Five island districts had no communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn,
    Côn Đảo); each is a unit of kind "huyen" with its 3-digit district code, since
    each became a đặc khu on 1 July 2025.
    """
    provinces: dict[str, dict] = {}
    units: list[dict] = []
    keys: dict[str, str] = {}
    province_keys: dict[str, str] = {}
    rows = read_rows(db, "SELECT * FROM admin_units_legacy")
    for row in rows:
        pcode = row["provinceCode"]
        pname, pshort, _ = split_name(row["province"], PROVINCE_KINDS)
        provinces[pcode] = {
            "code": pcode,
            "name": pname,
            "short_name": pshort,
            "valid_to": VALID_TO,
        }
        province_keys[row["provinceKey"]] = pcode
        district, district_short, district_kind = split_name(
            row["district"], DISTRICT_KINDS
        )
        if row["wardCode"] is None:
            code, name, short, kind = (
                row["districtCode"],
                district,
                district_short,
                district_kind,
            )
        else:
            code = row["wardCode"]
            name, short, kind = split_name(row["ward"], UNIT_KINDS)
            source_short = re.sub(r" \(.*\)$", "", row["wardShort"])
            if short != source_short:
                raise SourceError(f"Unit {code}: {short!r} != {source_short!r}")
            if UNIT_KINDS.get(row["wardType"]) != kind:
                print(f"  {code} {name}: the source's type says {row['wardType']}")
        units.append(
            {
                "code": code,
                "name": name,
                "short_name": short,
                "kind": kind,
                "district_code": row["districtCode"],
                "district_name": district,
                "province_code": pcode,
                "valid_to": VALID_TO,
            }
        )
        keys[f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}"] = code
    if len(keys) != len(rows):
        raise SourceError("Two legacy units share a province, district and name key.")
    return (
        sorted_by_code(provinces.values()),
        sorted_by_code(units),
        {
            "units": keys,
            "provinces": province_keys,
        },
    )


def build_changes(converter: dict, new: dict, old: dict) -> tuple[list, list]:
    """Old→new pairs (old code, new code) for units and provinces on 1 July 2025.

    The source lists each old unit either whole under one new unit, or split
    between several. Its choice of one "default" new unit for a split unit is a
    guess from coordinates, not the official record, and is left out.
    """
    changes = set()
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            new_code = new["units"][(province_key, ward_key)]
            changes.update((old["units"][key], new_code) for key in old_keys)
    for province_key, split in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in split.items():
            for part in parts:
                new_code = new["units"][(province_key, part["newWardKey"])]
                changes.add((old["units"][old_key], new_code))
    province_changes = {
        (old["provinces"][old_key], new["provinces"][new_key])
        for new_key, old_keys in converter["DICT_PROVINCE"].items()
        for old_key in old_keys
    }
    return sorted(changes), sorted(province_changes)


def drop_homonym_links(
    changes: list[tuple[str, str]], old_units: list[dict]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Remove the links the source made by matching a homonym's name.

    The source matched the predecessors named in the merger lookup by name, so
    where two old units of the merged provinces share a name (Xã Hòa Bình of
    Kim Thành and of Vĩnh Bảo), a part of one was also given to the other's
    successors. A split link old X → new N is dropped when another predecessor
    of N has X's name, X's district is not among N's anchors, and the
    namesake's is. N's anchors are the districts of its whole predecessors and
    of the predecessor whose code it carries. Returns (kept, dropped).
    """
    unit = {u["code"]: u for u in old_units}
    successors: dict[str, set[str]] = defaultdict(set)
    predecessors: dict[str, set[str]] = defaultdict(set)
    for old_code, new_code in changes:
        successors[old_code].add(new_code)
        predecessors[new_code].add(old_code)
    dropped = []
    for old_code, new_code in changes:
        if len(successors[old_code]) < 2:
            continue
        anchors = {
            unit[p]["district_code"]
            for p in predecessors[new_code]
            if len(successors[p]) == 1 or p == new_code
        }
        namesakes = [
            p
            for p in predecessors[new_code]
            if p != old_code and unit[p]["name"] == unit[old_code]["name"]
        ]
        if (
            namesakes
            and unit[old_code]["district_code"] not in anchors
            and any(unit[p]["district_code"] in anchors for p in namesakes)
        ):
            dropped.append((old_code, new_code))
    kept = sorted(set(changes) - set(dropped))
    return kept, dropped


def change_rows(pairs: list[tuple[str, str]]) -> list[dict]:
    """Rows of a changes file, sorted like the units; partial=1 for a split."""
    count = Counter(old_code for old_code, _ in pairs)
    return [
        {
            "old_code": old_code,
            "new_code": new_code,
            "effective": VALID_FROM,
            "partial": int(count[old_code] > 1),
        }
        for old_code, new_code in sorted(pairs, key=lambda p: (-len(p[0]), p))
    ]


def sorted_by_code(rows) -> list[dict]:
    """Rows sorted by code; the five 3-digit island districts come last."""
    return sorted(rows, key=lambda row: (-len(row["code"]), row["code"]))


def check(data: dict[str, list[dict]]) -> None:
    """Refuse data that breaks a count or a link the shipped files promise."""
    for period in ("2025", "legacy"):
        found = len(data[f"provinces-{period}"])
        if found != EXPECTED_PROVINCES[period]:
            raise SourceError(f"{found} provinces in the {period} list.")
    kinds = Counter(unit["kind"] for unit in data["units-2025"])
    if dict(kinds) != EXPECTED_2025:
        raise SourceError(
            f"2025 units by kind: {dict(kinds)}, expected {EXPECTED_2025}."
        )
    for name in ("units-2025", "units-legacy"):
        codes = [row["code"] for row in data[name]]
        if len(set(codes)) != len(codes):
            raise SourceError(f"A code appears twice in {name}.")
    old_units = {u["code"]: u for u in data["units-legacy"]}
    new_units = {u["code"]: u for u in data["units-2025"]}
    province_of = {r["old_code"]: r["new_code"] for r in data["province-changes-2025"]}
    successors = defaultdict(set)
    for row in data["changes-2025"]:
        old, new = old_units[row["old_code"]], new_units[row["new_code"]]
        successors[old["code"]].add(new["code"])
        if province_of[old["province_code"]] != new["province_code"]:
            raise SourceError(f"{old['code']} → {new['code']} crosses provinces.")
    if set(successors) != set(old_units):
        raise SourceError("A legacy unit has no successor.")
    if {r["new_code"] for r in data["changes-2025"]} != set(new_units):
        raise SourceError("A 2025 unit has no predecessor.")
    for row in data["changes-2025"]:
        if (len(successors[row["old_code"]]) > 1) != bool(row["partial"]):
            raise SourceError(f"{row['old_code']}: partial flag and split disagree.")


def write(name: str, rows: list[dict]) -> None:
    path = OUT / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"Wrote {path.relative_to(OUT.parent.parent)}: {len(rows)} rows.")


def main() -> int:
    try:
        data_dir = package_data()
        db = data_dir / "dataset.db"
        converter = json.loads((data_dir / "converter_2025.json").read_text("utf-8"))
        print("Units whose type column contradicts their name (the name is kept):")
        provinces, units, new_keys = build_2025(db)
        old_provinces, old_units, old_keys = build_legacy(db)
        pairs, province_pairs = build_changes(converter, new_keys, old_keys)
        pairs, dropped = drop_homonym_links(pairs, old_units)
        print("Links dropped as the source's confusion of two namesakes:")
        old_by_code = {u["code"]: u for u in old_units}
        new_by_code = {u["code"]: u for u in units}
        for old_code, new_code in dropped:
            old = old_by_code[old_code]
            print(
                f"  {old_code} {old['name']} ({old['district_name']}) "
                f"-/-> {new_code} {new_by_code[new_code]['name']}"
            )
        data = {
            "provinces-2025": provinces,
            "units-2025": units,
            "provinces-legacy": old_provinces,
            "units-legacy": old_units,
            "changes-2025": change_rows(pairs),
            "province-changes-2025": change_rows(province_pairs),
        }
        check(data)
    except SourceError as error:
        print(f"build_units: {error}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in data.items():
        write(name, rows)
    print_summary(data)
    return 0


def print_summary(data: dict[str, list[dict]]) -> None:
    """Print the counts that wards/data/SOURCES.md quotes."""
    for name in ("units-2025", "units-legacy"):
        kinds = Counter(row["kind"] for row in data[name])
        print(f"{name}: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    missing = sum(1 for row in data["units-2025"] if not row["latitude"])
    print(f"2025 units without coordinates: {missing}")
    changes = data["changes-2025"]
    split = {row["old_code"] for row in changes if row["partial"]}
    print(f"Old units split between several new units: {len(split)}")
    old_names = {row["code"]: row["name"] for row in data["units-legacy"]}
    new_units = {row["code"]: row for row in data["units-2025"]}
    reused = [row for row in changes if row["old_code"] == row["new_code"]]
    print(f"New units that carry the code of one of their predecessors: {len(reused)}")
    predecessors = Counter(row["new_code"] for row in changes)
    unchanged = [
        row
        for row in reused
        if not row["partial"]
        and predecessors[row["new_code"]] == 1
        and old_names[row["old_code"]] == new_units[row["new_code"]]["name"]
    ]
    print(f"  of which same name, sole predecessor, whole: {len(unchanged)}")
    renamed = sum(
        1
        for row in reused
        if old_names[row["old_code"]] != new_units[row["new_code"]]["name"]
    )
    print(f"  of which under another name: {renamed}")
    carried_split = sum(int(row["partial"]) for row in reused)
    print(f"  of which the code of a split predecessor: {carried_split}")
    by_count = Counter(predecessors.values())
    print(
        "New units by number of predecessors: "
        + ", ".join(f"{n}: {by_count[n]}" for n in sorted(by_count))
    )
    codes = {row["old_code"] for row in changes}
    taken = [
        row
        for row in changes
        if row["new_code"] in codes and row["new_code"] != row["old_code"]
    ]
    foreign = {row["new_code"] for row in taken} - {row["new_code"] for row in reused}
    print(
        "New units whose code was an old unit's that is not among their "
        f"predecessors: {len(foreign)}"
    )


if __name__ == "__main__":
    sys.exit(main())
