"""The emulator's HTML page: every right-holder and smartcard it holds (for the demo)."""

from html import escape

STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
         "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
         ".opposed{color:#a00;font-weight:bold}.active{color:#070}")


def _table(title, columns, rows):
    head = "".join(f"<th>{escape(label)}</th>" for label, _key in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows
    ) or f'<tr><td colspan="{len(columns)}">none</td></tr>'
    return f"<h2>{escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def _holder_row(holder):
    name = f"{holder.get('firstName') or ''} {holder.get('lastName') or ''}".strip()
    return [escape(str(holder.get(key) or "")) for key in ("identifier", "ine")] + [
        escape(name), escape(str(holder.get("email") or "")),
        escape(str(holder.get("dueDate") or "")), escape(str(holder.get("rneOrgCode") or "")),
        escape(f"{holder.get('idCompanyRate')}/{holder.get('idRate')}"),
        escape(holder["accountStatus"]), escape(holder["blockingStatus"]),
        str(holder["putCount"]),
    ]


def _card_row(card):
    if card["cancelDate"]:
        state = f'<span class="opposed">opposed {escape(card["reason"])}</span>'
    else:
        state = '<span class="active">active</span>'
    return [escape(str(card["identifier"])), str(card["idZdc"]), escape(str(card["uid"])),
            state, escape(card["cancelDate"] or card["revalidationDate"] or ""),
            str(card["oppositions"]), str(card["revalidations"])]


HOLDER_COLUMNS = [("identifier", ""), ("INE", ""), ("name", ""), ("e-mail", ""),
                  ("due date", ""), ("UAI", ""), ("company/rate", ""), ("account", ""),
                  ("blocking", ""), ("PUTs", "")]
CARD_COLUMNS = [("right-holder", ""), ("idZdc", ""), ("uid (CSN)", ""), ("state", ""),
                ("since", ""), ("oppositions", ""), ("revalidations", "")]


def render(snapshot):
    faults = snapshot["faults"]
    counts = ", ".join(f"{escape(k)}: {v}" for k, v in sorted(snapshot["counts"].items()))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="5"><title>CROUS API emulator</title>'
        f"<style>{STYLE}</style></head><body><h1>CROUS API emulator</h1>"
        f"<p>Faults: {faults['failure_rate']:.0%} failing, {faults['lost_answer_rate']:.0%} "
        f"answers lost, {faults['delay']} s delay. Requests: {counts or 'none'}.</p>"
        + _table("Right-holders", HOLDER_COLUMNS, map(_holder_row, snapshot["rightholders"]))
        + _table("Smartcards", CARD_COLUMNS, map(_card_row, snapshot["smartcards"]))
        + "</body></html>"
    )
