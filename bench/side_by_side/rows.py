"""One table row: flowsentry, the baseline, the ratio. A side is a number (formatted with its
unit) or a text such as "fell behind …" or "—"; the ratio is how many times better flowsentry
is (higher-is-better rows: fs / baseline; lower-is-better rows: baseline / fs)."""


class Side:
    def __init__(self, value=None, text=None):
        self.value = value  # number used for the ratio and charts, or None
        self.text = text    # shown instead of the formatted value when set


def fmt_num(v, unit):
    if v is None:
        return "—"
    if unit == "flows/s" or unit == "req/s":
        s = f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"
        return f"{s} {unit}"
    if unit == "ms":
        return f"{v:,.1f} ms" if v >= 10 else f"{v:.2f} ms"
    if unit == "µs":
        return f"{v:,.0f} µs"
    if unit == "%":
        return f"{v:.2f} %"
    if unit == "s":
        return f"{v:,.0f} s" if v >= 100 else f"{v:,.2f} s"
    if unit == "MB":
        return f"{v:,.0f} MB"
    if unit == "":
        return f"{v:.4f}"
    return f"{v:,.1f} {unit}"


class Row:
    def __init__(self, section, name, unit, better, fs, base, note=""):
        self.section, self.name, self.unit, self.better = section, name, unit, better
        self.fs = fs if isinstance(fs, Side) else Side(fs)
        self.base = base if isinstance(base, Side) else Side(base)
        self.note = note

    def cell(self, side):
        return side.text if side.text is not None else fmt_num(side.value, self.unit)

    def ratio(self):
        f, b = self.fs.value, self.base.value
        if f is None or b is None or self.better is None or f <= 0 or b <= 0:
            return None
        return f / b if self.better == "high" else b / f

    def ratio_text(self):
        r = self.ratio()
        if r is None:
            return "—"
        return f"{r:,.0f}×" if r >= 100 else f"{r:,.1f}×" if r >= 10 else f"{r:.2f}×"


def failed(section, name, err):
    msg = f"failed: {str(err).splitlines()[0][:120]}"
    return Row(section, name, "", None, Side(text=msg), Side(text=msg))
