"""The report as a readable table for the terminal."""

from __future__ import annotations

from typing import Any


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _num(v: Any, unit: str = "") -> str:
    if v is None:
        return "—"
    return f"{v:,.2f}{unit}" if isinstance(v, float) else f"{v:,}{unit}"


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def render(report: dict[str, Any]) -> str:
    sim, s, t, e = report["simulation"], report["summary"], report["targets"], report["erlang_c"]
    lines = [
        f"hybridcx simulation: {sim['contacts']} contacts over {sim['hours']} h, "
        f"{sim['agents_on_duty']} agents on duty {sim['staffed_hours'][0]:g}-{sim['staffed_hours'][1]:g} h "
        f"({sim['agents_total']} in shifts), seed {sim['seed']}, policy {sim['policy']} "
        f"(confidence threshold {sim['confidence_threshold']})",
        "",
        f"{'AI containment':<34}{_pct(s['ai_containment']):>10}",
    ]
    for tier, row in t["tier_distribution"].items():
        lo, hi = row["target"]
        lines.append(
            f"{'Tier ' + tier + ' share':<34}{_pct(row['share']):>10}   target {lo:.0%}-{hi:.0%}  "
            f"{_mark(row['met'])}"
        )
    r = t["tier1_resolution"]
    lines.append(
        f"{'Tier 1 resolution rate':<34}{_pct(r['rate']):>10}   target > {r['target_min']:.0%}  "
        f"{_mark(r['met'])}"
    )
    c = t["cost_savings"]
    lines += [
        f"{'Blended cost per contact':<34}{_num(s['blended_cost_per_contact']):>10}   "
        f"all-human {_num(s['all_human_cost_per_contact'])}",
        f"{'Savings vs all-human':<34}{_pct(c['savings']):>10}   target "
        f"{c['target'][0]:.0%}-{c['target'][1]:.0%}  {_mark(c['met'])}",
        "",
        f"{'Queued for people':<34}{_num(s['queued']):>10}",
        f"{'Answered / abandoned':<34}{_num(s['answered']) + ' / ' + _num(s['abandoned']):>10}",
        f"{'Abandonment rate':<34}{_pct(s['abandonment_rate']):>10}",
        f"{'Service level (' + format(s['service_level_seconds'], 'g') + ' s)':<34}"
        f"{_pct(s['service_level']):>10}",
        f"{'Average speed of answer':<34}{_num(s['average_speed_of_answer_seconds'], ' s'):>10}",
        f"{'Average handle time':<34}{_num(s['average_handle_time_seconds'], ' s'):>10}",
        f"{'Agent occupancy (staffed time)':<34}{_pct(s['agent_occupancy']):>10}",
        f"{'Customer turns through the pipeline':<34}{_num(s['customer_turns']):>10}",
        "",
        f"{'CSAT (1-5)':<34}{_num(s.get('csat_average')):>10}",
        f"{'NPS':<34}{_num(s.get('nps')):>10}",
        f"{'First contact resolution':<34}{_pct(s.get('first_contact_resolution')):>10}",
        f"{'Re-contacts / transfers':<34}"
        f"{_num(s.get('recontacts')) + ' / ' + _num(s.get('transfers')):>10}",
        "",
    ]
    if e.get("available"):
        seen = e["simulated_in_staffed_hours"]
        lines.append(
            f"Erlang C for {e['target_service_level']:.0%} in {e['target_seconds']:g} s "
            f"(AHT {_num(e['observed_aht_seconds'], ' s')}, staffed hours only):"
        )
        lines.append(
            f"  {'':<22}{'arrivals/h':>11}{'erlangs':>9}{'needed':>8}{'SL @sim':>9}{'ASA @sim':>10}"
        )
        for name, key in (
            ("average staffed hour", "average_staffed_hour"),
            ("peak hour", "peak_hour"),
        ):
            p = e[key]
            w = p["with_simulated_agents"]
            lines.append(
                f"  {name:<22}{p['arrivals_per_hour']:>11.1f}{p['traffic_erlangs']:>9.2f}"
                f"{p['agents_needed']:>8}{_pct(w['service_level']):>9}"
                f"{_num(w['asa_seconds'], ' s'):>10}"
            )
        lines.append(
            f"  simulated with {seen['agents']} agents: service level {_pct(seen['service_level'])}, "
            f"ASA {_num(seen['asa_seconds'], ' s')}, abandonment {_pct(seen['abandonment_rate'])}, "
            f"occupancy {_pct(seen['occupancy'])}"
        )
        if e["human_contacts_outside_staffed_hours"]:
            lines.append(
                f"  ({e['human_contacts_outside_staffed_hours']} handoffs came outside staffed hours)"
            )
    else:
        lines.append("Erlang C: no human contacts in staffed hours.")
    reasons = report["pipeline"]["escalation_reasons"]
    if reasons:
        lines += [
            "",
            "Why the AI handed over: " + ", ".join(f"{k} {v}" for k, v in reasons.items()),
        ]
    return "\n".join(lines)


def render_compare(diff: dict[str, Any]) -> str:
    lines = [
        f"Same seeded traffic: A = {diff['a']}, B = {diff['b']}",
        "",
        f"  {'metric':<34}{'A':>12}{'B':>12}{'B - A':>12}",
    ]
    for name, row in {
        **diff["metrics"],
        **{f"reason {k}": v for k, v in diff["escalation_reasons"].items()},
    }.items():
        lines.append(
            f"  {name:<34}{_fmt(row['a']):>12}{_fmt(row['b']):>12}{_fmt(row['delta'], sign=True):>12}"
        )
    return "\n".join(lines)


def _fmt(v: Any, *, sign: bool = False) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:+.4g}" if sign else f"{v:.4g}"
    return f"{v:+d}" if sign else str(v)
