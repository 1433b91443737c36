"""The audit engine on hand-made systems with known answers, and against whole-number programming."""

from hypothesis import given, settings
from hypothesis import strategies as st

from wqm_nb.disclosure.audit import AuditModel, CellQuantities, Range, audit, cleared, expr, minus


def test_a_part_that_is_the_difference_of_shown_figures_is_disclosed():
    m = AuditModel()
    a, b = m.unknown("a"), m.unknown("b")
    m.equals(expr(a, b), 10)  # the whole: 10
    m.equals(expr(a), 7)  # a shown part: 7
    m.between(expr(b), 1, 4)  # the hidden part: "fewer than 5"
    assert m.range_of(expr(b)).rounded() == Range(3, 3) and m.range_of(expr(b)).rounded().single


def test_two_hidden_parts_keep_each_other_open():
    m = AuditModel()
    a, b, c = (m.unknown(x) for x in "abc")
    m.equals(expr(a, b, c), 12)
    m.equals(expr(a), 6)
    m.between(expr(b), 1, 4)
    m.between(expr(c), 1, 4)
    assert m.range_of(expr(b)).rounded() == Range(2, 4)
    assert m.integer_range_of(expr(b)) == Range(2, 4)


def test_bounds_are_rounded_inward_before_testing_for_one_value():
    # a share printed as 50%: 49.5% to 50.5% of the answers agree, which pins a whole number of agreeing answers
    for answers, expected in ((2, Range(1, 1)), (4, Range(2, 2)), (10, Range(5, 5))):
        m = AuditModel()
        agree = m.unknown("agree")
        m.between(expr(agree), answers * 0.495, answers * 0.505)
        assert m.range_of(expr(agree)).rounded() == expected
    m = AuditModel()
    x = m.unknown("x")
    m.between(expr(x), 2.2, 2.8)
    assert m.range_of(expr(x)).rounded().single  # no whole number at all: treated as disclosed


def test_a_findings_list_names_forced_all_or_none_agreeing():
    m = AuditModel()
    n, answers, agree = m.unknown("n"), m.unknown("answers"), m.unknown("agree")
    m.between(expr(n), 1, 4)
    m.between(expr(answers), 3, 8)
    m.at_most(minus(expr(answers), expr(agree)), 0)  # every answer agrees
    m.at_most(minus(expr(agree), expr(answers)), 0)
    [finding] = audit(m, {"cell": CellQuantities(expr(n), expr(answers), expr(agree))})
    assert "all agree" in finding.disclosed and not cleared([finding])


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.integers(-2, 3), min_size=3, max_size=3), st.integers(0, 6), st.integers(0, 6)),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.integers(0, 3), min_size=3, max_size=3),
)
def test_the_linear_bounds_rounded_inward_never_exclude_a_whole_number_solution(rows, target):
    """The relaxation is wider than the whole-number range, so rounded inward it still contains it:
    the audit never calls a quantity open when the whole numbers pin it... it may only be more careful."""
    m = AuditModel()
    xs = [m.unknown(f"x{i}", 0, 6) for i in range(3)]
    for coefs, lo, width in rows:
        m.between({x: float(c) for x, c in zip(xs, coefs, strict=False) if c}, lo - 3, lo - 3 + width)
    e = {x: float(c) for x, c in zip(xs, target, strict=False) if c}
    linear, whole = m.range_of(e).rounded(), m.integer_range_of(e)
    if whole.low > whole.high:  # no whole-number solution
        return
    assert linear.low <= whole.low and linear.high >= whole.high
