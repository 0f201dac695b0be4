"""One table row: flowsentry and the two Python baselines (fair and seed-style), with a ratio
against each. A side is a number (formatted with its unit) or a text such as "fell behind …" or
"—"; a ratio is how many times better flowsentry is (higher-is-better rows: fs / baseline;
lower-is-better rows: baseline / fs)."""

# The two ways the same Python stack (scikit-learn RandomForest, FastAPI, confluent-kafka,
# psycopg2) is written; every table names them with these labels.
FAIR = "fair: batched consume, vectorised predict, COPY"
SEED = "seed-style: one message, one INSERT"


class Side:
    def __init__(self, value=None, text=None):
        self.value = value  # number used for the ratio and charts, or None
        self.text = text    # shown instead of the formatted value when set


def fmt_num(v, unit):
    if v is None:
        return "—"
    if unit in ("flows/s", "req/s", "anomalies/s"):
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


def side(v):
    return v if isinstance(v, Side) else Side(v)


class Row:
    """fs, fair and seed: flowsentry, the fair baseline, the seed-style baseline. Where both
    baselines run the same code (in-process scoring, detection quality), pass the same value."""

    def __init__(self, section, name, unit, better, fs, fair, seed, note=""):
        self.section, self.name, self.unit, self.better = section, name, unit, better
        self.fs, self.fair, self.seed = side(fs), side(fair), side(seed)
        self.note = note

    def cell(self, s):
        return s.text if s.text is not None else fmt_num(s.value, self.unit)

    def ratio(self, base):
        f, b = self.fs.value, base.value
        if f is None or b is None or self.better is None or f <= 0 or b <= 0:
            return None
        return f / b if self.better == "high" else b / f

    def ratio_text(self, base):
        return fmt_ratio(self.ratio(base))


def fmt_ratio(r):
    if r is None:
        return "—"
    return f"{r:,.0f}×" if r >= 100 else f"{r:,.1f}×" if r >= 10 else f"{r:.2f}×"


def failed(section, name, err):
    msg = f"failed: {str(err).splitlines()[0][:120]}"
    return Row(section, name, "", None, Side(text=msg), Side(text=msg), Side(text=msg))
