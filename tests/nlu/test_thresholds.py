"""Out-of-scope thresholds picked on held-out rows with OOS examples: the energy floor, and the
stated in-scope budget spent rather than stopped short of."""

from __future__ import annotations

import numpy as np

from hybridcx.nlu.thresholds import OOSThresholds, pick_thresholds


def test_the_energy_floor_flags_weak_evidence_even_when_an_intent_wins_the_softmax() -> None:
    t = OOSThresholds(similarity=-1.0, oos_margin=-0.9, energy=2.0)

    def flagged(thresholds: OOSThresholds, energy: float) -> bool:
        return thresholds.is_out_of_scope(
            top_label_is_oos=False,
            confidence=0.95,
            similarity=0.9,
            oos_probability=0.01,
            energy=energy,
        )

    assert flagged(t, 1.5)
    assert not flagged(t, 2.5)
    # Without an energy floor (models saved before it existed) the energy is ignored.
    assert not flagged(OOSThresholds(), -100.0)


def _rows(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """400 in-scope rows (intents a/b, always right) and 20 OOS rows. The OOS rows' energies
    sit below every in-scope row's but one, so all recall is reachable at no cost."""
    n_in, n_oos = 400, 20
    probs = np.zeros((n_in + n_oos, 3))
    probs[:, 0] = 0.9  # "a" wins every row; the OOS class ("oos", column 2) never does
    probs[:, 1] = 0.05
    probs[:, 2] = 0.05
    gold = ["a"] * n_in + ["oos"] * n_oos
    energies = np.concatenate([rng.uniform(5.0, 10.0, n_in), rng.uniform(0.0, 4.0, n_oos)])
    return probs, np.full(n_in + n_oos, 0.9), gold, energies


def test_thresholds_with_energies_catch_the_oos_rows_and_spend_the_budget() -> None:
    probs, sims, gold, energies = _rows(np.random.default_rng(0))
    labels = ["a", "b", "oos"]
    budget = 0.02
    t = pick_thresholds(
        probs=probs,
        similarities=sims,
        gold=gold,
        labels=labels,
        oos_label="oos",
        in_scope_budget=budget,
        energies=energies,
    )
    assert t.energy is not None and t.confidence == 0.0
    flagged = np.array(
        [
            t.is_out_of_scope(
                top_label_is_oos=False,
                confidence=float(p[0]),
                similarity=float(s),
                oos_probability=float(p[2]),
                energy=float(e),
            )
            for p, s, e in zip(probs, sims, energies, strict=True)
        ]
    )
    is_oos = np.array([g == "oos" for g in gold])
    assert flagged[is_oos].all()
    in_scope_loss = flagged[~is_oos].mean()
    # Every OOS row was caught at no cost, yet the floor is raised to what the budget allows:
    # the few dev OOS rows are not where unseen out-of-scope messages stop.
    assert 0.01 <= in_scope_loss <= budget


def test_without_energies_the_probability_floor_is_searched_as_before() -> None:
    probs, sims, gold, _ = _rows(np.random.default_rng(0))
    t = pick_thresholds(
        probs=probs, similarities=sims, gold=gold, labels=["a", "b", "oos"], oos_label="oos"
    )
    assert t.energy is None
