"""The genealogy tree of an item as a server-rendered SVG: the item on the left, its components to
the right level by level, and the supplier lots each node consumed as amber leaves. Nodes and lots
named in `highlight` (e.g. under an open recall), and the path down to them, are drawn red."""

from __future__ import annotations

from markupsafe import Markup, escape

from registry import labels
from registry.supply.genealogy import Node

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 220, 44, 48, 14, 10
TEXT_CHARS = 32  # what fits on a box's second line at 12 px


def _layout(node: Node, depth: int, row: list[int], placed: list) -> float:
    """Place the subtree: every leaf (a node without children or lots, or a lot) takes a row of its
    own, a node sits midway between its first and last row. Returns the centre row of `node`."""
    rows = []
    for child in node.children:
        rows.append(_layout(child, depth + 1, row, placed))
    for lot in node.lots:
        placed.append(("lot", lot, depth + 1, row[0], node))
        rows.append(row[0])
        row[0] += 1
    if not rows:
        rows.append(row[0])
        row[0] += 1
    centre = (rows[0] + rows[-1]) / 2
    placed.append(("item", node, depth, centre, None))
    return centre


def tree_svg(root: Node, *, highlight: set[str] = frozenset(), link=None) -> Markup:
    """`link(item_id)` gives the URL a node links to (none when omitted)."""
    highlight = set(highlight) | _carriers(root, set(highlight))
    placed: list = []
    row = [0]
    _layout(root, 0, row, placed)
    depth = max(entry[2] for entry in placed)
    width = PAD * 2 + (depth + 1) * BOX_W + depth * GAP_X
    height = PAD * 2 + row[0] * BOX_H + max(0, row[0] - 1) * GAP_Y
    centres = {}

    def xy(level: int, at_row: float) -> tuple[float, float]:
        return PAD + level * (BOX_W + GAP_X), PAD + at_row * (BOX_H + GAP_Y)

    for kind, thing, level, at_row, _ in placed:
        if kind == "item":
            centres[thing.item_id] = xy(level, at_row)
    parts = [
        # A group, not an image: its boxes are links, and an image holds no controls.
        f'<svg xmlns="http://www.w3.org/2000/svg" class="genealogy" role="group" '
        f'aria-label="Genealogy of {escape(root.serial)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">',
        f"<title>Genealogy of {escape(root.serial)}</title>",
    ]
    for kind, thing, level, at_row, owner in placed:  # edges first, boxes on top
        x, y = xy(level, at_row)
        parent = owner.item_id if kind == "lot" else _parent_of(root, thing.item_id)
        if parent is not None:
            px, py = centres[parent]
            parts.append(
                f'<path d="M{px + BOX_W},{py + BOX_H / 2} C{px + BOX_W + GAP_X / 2},{py + BOX_H / 2} '
                f'{x - GAP_X / 2},{y + BOX_H / 2} {x},{y + BOX_H / 2}" fill="none" stroke="#8a94a6"/>'
            )
    for kind, thing, level, at_row, _ in placed:
        x, y = xy(level, at_row)
        if kind == "item":
            hot = thing.item_id in highlight
            title = escape(thing.serial)
            status = labels.status(thing.status).lower() if thing.status else None
            sub = escape(_fit(" · ".join(filter(None, [thing.part_number, thing.position, status]))))
            box = (
                f'<g class="node{" affected" if hot else ""}" data-item="{escape(thing.item_id)}">'
                f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                f'fill="{"#fde2e1" if hot else "#eef3fb"}" stroke="{"#c0392b" if hot else "#3d5a80"}"/>'
                f'<text x="{x + 8}" y="{y + 18}" font-weight="600">{title}</text>'
                f'<text x="{x + 8}" y="{y + 34}" fill="#555">{sub}</text></g>'
            )
            if link is not None:
                box = f'<a href="{escape(link(thing.item_id))}">{box}</a>'
            parts.append(box)
        else:
            hot = thing["lot_id"] in highlight
            label = escape(thing["supplier_lot_code"] or thing["internal_code"])
            sub = escape(_fit(" · ".join(filter(None, [thing["part_number"], thing["supplier"]]))))
            parts.append(
                f'<g class="lot{" affected" if hot else ""}" data-lot="{escape(thing["lot_id"])}">'
                f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="18" '
                f'fill="{"#f8c9c4" if hot else "#fff4d6"}" stroke="{"#c0392b" if hot else "#b7791f"}"/>'
                f'<text x="{x + 12}" y="{y + 18}" font-weight="600">lot {label}</text>'
                f'<text x="{x + 12}" y="{y + 34}" fill="#555">{sub}</text></g>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _carriers(node: Node, marked: set[str]) -> set[str]:
    """The nodes that hold a marked lot or a marked node somewhere below them."""
    found: set[str] = set()
    for child in node.children:
        below = _carriers(child, marked)
        found |= below
        if below or child.item_id in marked:
            found.add(node.item_id)
    if any(lot["lot_id"] in marked for lot in node.lots):
        found.add(node.item_id)
    return found


def _fit(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def _parent_of(root: Node, item_id: str) -> str | None:
    for node in root.walk():
        if any(child.item_id == item_id for child in node.children):
            return node.item_id
    return None
