"""The listening budget: who is heard first, who waits, who gets a freed slot."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.speech.admission import (
    DEFAULT_RULES,
    Admission,
    Admit,
    Leg,
    Policy,
    Rule,
    Standing,
    Wait,
    Withdraw,
)

ORDINARY = Standing()
VIP = Standing(vip_tier="gold")
RISKY = Standing(risk_tier="high")
ANGRY = Standing(emotion="angry")


@pytest.mark.parametrize(
    "kind, standing, rank",
    [
        ("ivr", ORDINARY, (0, "ivr menus")),
        ("ivr", VIP, (0, "ivr menus")),
        ("caller", VIP, (1, "valued or upset callers")),
        ("caller", RISKY, (1, "valued or upset callers")),
        ("caller", ANGRY, (1, "valued or upset callers")),
        ("caller", Standing(emotion="agitated"), (1, "valued or upset callers")),
        ("caller", Standing(emotion="calm", risk_tier="low"), (2, "callers")),
        ("caller", ORDINARY, (2, "callers")),
        ("agent", VIP, (3, "agents")),
        ("agent", ORDINARY, (3, "agents")),
    ],
)
def test_default_policy_ranks_ivr_then_valued_callers_then_callers_then_agents(
    kind, standing, rank
):
    assert Policy().rank(kind, standing) == rank


@pytest.mark.parametrize(
    "rule, standing, matches",
    [
        (Rule("r", frozenset({"caller"}), vip=frozenset({"platinum"})), VIP, False),
        (Rule("r", frozenset({"caller"}), vip=frozenset({"gold"})), VIP, True),
        (Rule("r", frozenset({"caller"}), vip=False), VIP, False),
        (Rule("r", frozenset({"caller"}), vip=False), ORDINARY, True),
        (Rule("r", frozenset({"caller"}), risk=frozenset({"high", "medium"})), RISKY, True),
        (Rule("r", frozenset({"caller"}), agitated=True), ORDINARY, False),
        (Rule("r", frozenset({"agent"})), ORDINARY, False),  # another kind
    ],
)
def test_rule_conditions(rule, standing, matches):
    policy = Policy(rules=(rule,))
    assert (policy.rank("caller", standing)[0] == 0) is matches


def test_agitation_by_score_when_configured():
    policy = Policy(agitated_labels=frozenset(), agitated_score=0.6)
    assert policy.agitated(Standing(emotion_score=0.61))
    assert not policy.agitated(Standing(emotion_score=0.5, emotion="angry"))


def leg(n: int, role: str = "caller") -> Leg:
    return Leg(f"c{n}", role)


def test_within_the_budget_every_leg_is_admitted_at_once():
    adm = Admission(2)
    assert adm.request(leg(1), "caller", ORDINARY, 0) == [Admit(leg(1), "caller", "callers", 0)]
    assert adm.request(leg(2, "agent"), "agent", ORDINARY, 0) == [
        Admit(leg(2, "agent"), "agent", "agents", 0)
    ]
    assert adm.snapshot(0)["admitted_by_kind"] == {"ivr": 0, "caller": 1, "agent": 1}


def test_beyond_the_budget_a_leg_waits_and_is_told_how_many_are_ahead():
    adm = Admission(1)
    adm.request(leg(1), "caller", ORDINARY, 0)
    assert adm.request(leg(2), "caller", ORDINARY, 1) == [Wait(leg(2), "caller", "callers", 0)]
    assert adm.request(leg(3), "caller", ORDINARY, 2) == [Wait(leg(3), "caller", "callers", 1)]
    assert adm.request(leg(4), "caller", VIP, 3) == [
        Wait(leg(4), "caller", "valued or upset callers", 0)
    ]
    waiting = adm.snapshot(5)["waiting"]
    assert [(w["call_id"], w["waited"]) for w in waiting] == [("c4", 2), ("c2", 4), ("c3", 3)]


def test_ivr_menus_are_heard_even_beyond_the_budget_and_count_in_it():
    adm = Admission(1)
    adm.request(leg(1), "caller", ORDINARY, 0)
    assert adm.request(leg(2), "ivr", ORDINARY, 0) == [Admit(leg(2), "ivr", "ivr menus", 0)]
    adm.release(leg(1), 1)  # still full: the IVR leg holds the only slot
    assert adm.request(leg(3), "caller", ORDINARY, 1)[0].__class__ is Wait


def test_ivr_menus_queue_first_when_not_always():
    adm = Admission(1, Policy(ivr_always=False))
    adm.request(leg(1), "caller", ORDINARY, 0)
    adm.request(leg(2), "caller", VIP, 0)
    assert adm.request(leg(3), "ivr", ORDINARY, 0) == [Wait(leg(3), "ivr", "ivr menus", 0)]
    assert adm.release(leg(1), 2) == [Admit(leg(3), "ivr", "ivr menus", 2)]


def test_a_freed_slot_goes_to_the_best_waiting_leg_fifo_within_a_priority():
    adm = Admission(1)
    adm.request(leg(1), "caller", ORDINARY, 0)
    adm.request(leg(2, "agent"), "agent", ORDINARY, 1)
    adm.request(leg(3), "caller", ORDINARY, 2)
    adm.request(leg(4), "caller", ORDINARY, 3)
    adm.request(leg(5), "caller", RISKY, 4)
    assert adm.release(leg(1), 10) == [Admit(leg(5), "caller", "valued or upset callers", 6)]
    assert adm.release(leg(5), 11) == [Admit(leg(3), "caller", "callers", 9)]
    assert adm.release(leg(3), 12) == [Admit(leg(4), "caller", "callers", 9)]
    assert adm.release(leg(4), 13) == [Admit(leg(2, "agent"), "agent", "agents", 12)]
    assert adm.release(leg(2, "agent"), 14) == []
    assert adm.snapshot(14)["admitted"] == 0


def test_a_waiting_leg_that_hangs_up_leaves_the_queue():
    adm = Admission(1)
    adm.request(leg(1), "caller", ORDINARY, 0)
    adm.request(leg(2), "caller", VIP, 0)
    adm.request(leg(3), "caller", ORDINARY, 0)
    assert adm.release(leg(2), 1) == []  # waiting: nothing freed
    assert adm.release(leg(1), 2) == [Admit(leg(3), "caller", "callers", 2)]
    assert adm.release(leg(9), 3) == []  # unknown: nothing


def test_an_agitated_caller_is_re_prioritised_in_the_queue():
    adm = Admission(1)
    adm.request(leg(1), "caller", ORDINARY, 0)
    adm.request(leg(2), "caller", ORDINARY, 1)
    adm.request(leg(3), "caller", ORDINARY, 2)
    assert adm.restand("c3", ANGRY, 3) == []
    assert adm.snapshot(3)["waiting"][0]["call_id"] == "c3"
    assert adm.release(leg(1), 4) == [Admit(leg(3), "caller", "valued or upset callers", 2)]


def test_asking_again_changes_kind_but_keeps_the_slot_or_place():
    adm = Admission(1)
    adm.request(leg(1), "ivr", ORDINARY, 0)
    assert adm.request(leg(1), "caller", ORDINARY, 5) == []  # menu -> free-form: kept
    assert adm.snapshot(5)["admitted_by_kind"]["caller"] == 1
    adm.request(leg(2), "caller", ORDINARY, 6)
    assert adm.request(leg(2), "ivr", ORDINARY, 7) == [Admit(leg(2), "ivr", "ivr menus", 1)]


def test_a_menu_leg_over_the_budget_gives_its_slot_back_when_it_leaves_the_menu():
    """Menus are heard beyond the budget; out of the menu that leg is a caller like any
    other: over the budget it is withdrawn and waits (ahead of later callers, behind
    valued ones), within the budget it keeps its slot."""
    adm = Admission(1)
    adm.request(leg(1), "caller", ORDINARY, 0)
    adm.request(leg(2), "caller", VIP, 0)  # waiting
    assert adm.request(leg(3), "ivr", ORDINARY, 1) == [Admit(leg(3), "ivr", "ivr menus", 0)]
    assert adm.request(leg(3), "caller", ORDINARY, 5) == [
        Withdraw(leg(3), "caller", "callers"),
        Wait(leg(3), "caller", "callers", 1),
    ]
    snap = adm.snapshot(5)
    assert snap["admitted"] == 1 and [w["call_id"] for w in snap["waiting"]] == ["c2", "c3"]
    assert adm.release(leg(1), 6) == [Admit(leg(2), "caller", "valued or upset callers", 6)]
    assert adm.release(leg(2), 7) == [Admit(leg(3), "caller", "callers", 2)]
    # within the budget: the leg that leaves its menu keeps its slot
    assert adm.request(leg(4), "ivr", ORDINARY, 8) == [Admit(leg(4), "ivr", "ivr menus", 0)]
    adm.release(leg(3), 9)
    assert adm.request(leg(4), "caller", ORDINARY, 10) == []
    assert adm.snapshot(10)["admitted_by_kind"]["caller"] == 1


def test_a_larger_budget_or_a_new_policy_admits_waiting_legs():
    adm = Admission(1, Policy(ivr_always=False))
    adm.request(leg(1), "caller", ORDINARY, 0)
    adm.request(leg(2), "agent", ORDINARY, 0)
    adm.request(leg(3), "ivr", ORDINARY, 0)
    assert adm.resize(2, 1) == [Admit(leg(3), "ivr", "ivr menus", 1)]
    assert adm.use(Policy(), 2) == []
    assert adm.resize(3, 3) == [Admit(leg(2), "agent", "agents", 3)]
    assert adm.admitted_total == 3 and adm.waited_total == 2


def test_a_zero_budget_hears_only_ivr_menus():
    adm = Admission(0)
    assert isinstance(adm.request(leg(1), "caller", VIP, 0)[0], Wait)
    assert isinstance(adm.request(leg(2), "ivr", ORDINARY, 0)[0], Admit)


class Reference:
    """The budget as plainly as it can be said: every decision scans and sorts the
    waiting legs. ``Admission`` keeps them in order instead; both must act alike."""

    def __init__(self, budget: int, policy: Policy) -> None:
        self.budget, self.policy = budget, policy
        self.admitted: dict[Leg, tuple[str, int, int]] = {}  # leg -> kind, priority, seq
        self.waiting: dict[Leg, tuple[str, int, int]] = {}
        self.seq = 0
        self.standings: dict[Leg, Standing] = {}

    def order(self) -> list[Leg]:
        return sorted(self.waiting, key=lambda leg: self.waiting[leg][1:])

    def fill(self) -> list[Leg]:
        out = []
        for leg in self.order():
            kind = self.waiting[leg][0]
            if self.policy.always(kind) or len(self.admitted) < self.budget:
                self.admitted[leg] = self.waiting.pop(leg)
                out.append(leg)
        return out

    def request(self, leg: Leg, kind: str, standing: Standing) -> list:
        priority = self.policy.rank(kind, standing)[0]
        self.standings[leg] = standing
        known = self.admitted.get(leg) or self.waiting.get(leg)
        if known is not None:
            entry = (kind, priority, known[2])
            if (
                leg in self.admitted
                and self.policy.always(known[0])
                and not self.policy.always(kind)
                and len(self.admitted) > self.budget
            ):
                del self.admitted[leg]
                self.waiting[leg] = entry
                ahead = self.order().index(leg)
                return [("withdraw", leg), *self.fill(), ("wait", leg, ahead)]
            (self.admitted if leg in self.admitted else self.waiting)[leg] = entry
            return self.fill()
        self.seq += 1
        self.waiting[leg] = (kind, priority, self.seq)
        out: list = self.fill()
        if leg in self.waiting:
            out.append(("wait", leg, self.order().index(leg)))
        return out

    def release(self, leg: Leg) -> list:
        self.admitted.pop(leg, None)
        self.waiting.pop(leg, None)
        return self.fill()

    def use(self, policy: Policy) -> list:
        self.policy = policy
        for book in (self.admitted, self.waiting):
            for leg, (kind, _, seq) in list(book.items()):
                book[leg] = (kind, policy.rank(kind, self.standings[leg])[0], seq)
        return self.fill()

    def resize(self, budget: int) -> list:
        self.budget = budget
        return self.fill()

    def restand(self, call_id: str, standing: Standing) -> list:
        for book in (self.admitted, self.waiting):
            for leg, (kind, _, seq) in list(book.items()):
                if leg.call_id == call_id:
                    self.standings[leg] = standing
                    book[leg] = (kind, self.policy.rank(kind, standing)[0], seq)
        return self.fill()


def _plain(actions: list) -> list:
    out: list = []
    for action in actions:
        if isinstance(action, Admit):
            out.append(action.leg)
        elif isinstance(action, Withdraw):
            out.append(("withdraw", action.leg))
        else:
            out.append(("wait", action.leg, action.ahead))
    return out


STANDINGS = [ORDINARY, VIP, RISKY, ANGRY]


@settings(max_examples=300, deadline=None)
@given(
    budget=st.integers(0, 4),
    ivr_always=st.booleans(),
    ops=st.lists(
        st.tuples(
            st.sampled_from(["request", "release", "restand", "use", "resize"]),
            st.integers(0, 9),  # which call
            st.sampled_from(["caller", "agent"]),
            st.sampled_from(["ivr", "caller", "agent"]),
            st.integers(0, len(STANDINGS) - 1),
        ),
        max_size=60,
    ),
)
def test_the_ordered_queue_decides_as_a_full_scan_would(budget, ivr_always, ops):
    policy = Policy(ivr_always=ivr_always)
    adm, ref = Admission(budget, policy), Reference(budget, policy)
    for op, n, role, kind, s in ops:
        the_leg, standing = Leg(f"c{n}", role), STANDINGS[s]
        if op == "request":
            kind = kind if role == "caller" else "agent"
            got = adm.request(the_leg, kind, standing, 0)
            want = ref.request(the_leg, kind, standing)
        elif op == "release":
            got, want = adm.release(the_leg, 0), ref.release(the_leg)
        elif op == "restand":
            got, want = adm.restand(f"c{n}", standing, 0), ref.restand(f"c{n}", standing)
        elif op == "use":  # menus always heard or queued; menus ranked first or last
            policy = Policy(DEFAULT_RULES[:: 1 - 2 * (n // 2 % 2)], ivr_always=n % 2 == 0)
            got, want = adm.use(policy, 0), ref.use(policy)
        else:
            got, want = adm.resize(n % 5, 0), ref.resize(n % 5)
        assert _plain(got) == want
        assert [(w["call_id"], w["role"]) for w in adm.snapshot(0)["waiting"]] == [
            (leg.call_id, leg.role) for leg in ref.order()
        ]
