"""Rendering totals as a text table."""


def render(totals, title="total"):
    """Two aligned columns: group names left-aligned, totals right-aligned (2 decimals)."""
    names = list(totals) + ["TOTAL"]
    amounts = [f"{v:,.2f}" for v in totals.values()] + [f"{sum(totals.values()):,.2f}"]
    left = max(len(n) for n in names)
    right = max(len(a) for a in amounts + [title])
    lines = [f"{'':<{left}}  {title:>{right}}"]
    lines += [f"{n:<{left}}  {a:>{right}}" for n, a in zip(names, amounts)]
    return "\n".join(lines)
