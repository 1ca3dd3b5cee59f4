"""oracle.py — pluck's documented SQL value semantics, written independently in Python.

Nothing here comes from pluck's C code: every rule is taken from man/pluck.1 ("Values and
comparisons", "Numbers", the function list) and computed with Python's own exact tools —
fractions.Fraction for every DECIMAL result (rounded once, half even, by round()), CPython's
correctly rounded int/int and str->float conversions for FLOAT, and str.upper/str.lower for
case mapping.  difftest.py draws random expressions and data and compares pluck with this.

Values are tuples: ('int', i), ('dec', n, scale) meaning n * 10^-scale, ('float', f),
('str', s, untyped), ('bool', b), ('null',), ('missing',).  Errors raise SqlError(code).
"""
import math
import re
from fractions import Fraction

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1
DEC_DIGITS = 38
DEC_LIMIT = 10 ** DEC_DIGITS

NULL = ('null',)
MISSING = ('missing',)


class SqlError(Exception):
    def __init__(self, code):
        Exception.__init__(self, code)
        self.code = code


# ---- reading numbers ------------------------------------------------------------------------

NUM_RE = re.compile(r'([+-]?)(\d*)(\.?)(\d*)(?:[eE]([+-]?\d+))?\Z')


def parse_number(text, trim=False):
    """pluck(1) "Numbers": integer text that fits 64 bits is INT; digits with or without a
    point are DECIMAL while they have at most 38 significant digits and 38 after the point;
    an exponent or more digits is FLOAT (the nearest binary64).  None when not a number."""
    if trim:
        text = text.strip(' \t')
    m = NUM_RE.match(text)
    if not m:
        return None
    sign, ip, dot, fp, exp = m.groups()
    if not ip and not fp:
        return None
    if exp is not None:
        return ('float', float(text))
    digits = (ip + fp).lstrip('0')
    if not dot:
        v = int(ip) * (-1 if sign == '-' else 1)
        if INT_MIN <= v <= INT_MAX:
            return ('int', v)
        if len(digits) <= DEC_DIGITS:
            return ('dec', v, 0)
        return ('float', float(text))
    if len(digits) > DEC_DIGITS or len(fp) > DEC_DIGITS:
        return ('float', float(text))
    n = int(ip + fp or '0')
    return ('dec', -n if sign == '-' else n, len(fp))


def as_number(v):
    if v[0] in ('int', 'dec', 'float'):
        return v
    if v[0] == 'str' and v[2]:
        return parse_number(v[1])
    return None


# ---- exact values and the DECIMAL rule ------------------------------------------------------

def exact(v):
    """Fraction of an INT or DECIMAL (or a finite FLOAT)."""
    if v[0] == 'int':
        return Fraction(v[1])
    if v[0] == 'dec':
        return Fraction(v[1], 10 ** v[2])
    return Fraction(v[1])


def exponent10(fr):
    """e with 10^e <= |fr| < 10^(e+1), fr != 0."""
    fr = abs(fr)
    e = len(str(fr.numerator)) - len(str(fr.denominator))
    while Fraction(10) ** e > fr:
        e -= 1
    while Fraction(10) ** (e + 1) <= fr:
        e += 1
    return e


def to_float(fr):
    # CPython's int / int true division is correctly rounded
    return fr.numerator / fr.denominator


def dec_result(fr, scale=None):
    """Round the exact result fr to a DECIMAL: at most 38 digits, at most 38 after the point
    (and at most `scale` after it, the exact result's own scale for + - *), half even; a FLOAT
    when |fr| >= 1e38 or 0 < |fr| < 1e-38, or when rounding reaches 1e38.  scale None is
    division: trailing zeros are dropped."""
    if fr == 0:
        if scale is None:
            return ('dec', 0, 0)
        return ('dec', 0, min(scale, DEC_DIGITS))
    e = exponent10(fr)
    if e < -DEC_DIGITS or e >= DEC_DIGITS:
        return ('float', to_float(fr))
    t = min(DEC_DIGITS, DEC_DIGITS - 1 - e)
    if scale is not None:
        t = min(t, scale)
    n = round(fr * 10 ** t)  # Fraction rounds half to even
    if abs(n) >= DEC_LIMIT:
        t -= 1
        if t < 0:
            return ('float', to_float(fr))
        n //= 10
    if scale is None:
        while t > 0 and n % 10 == 0:
            n //= 10
            t -= 1
    return ('dec', n, t)


def float_op(op, x, y):
    if op in '/%' and y == 0:
        raise SqlError('DivisionByZero')
    if op == '+':
        return x + y
    if op == '-':
        return x - y
    if op == '*':
        return x * y
    if op == '/':
        return x / y
    # C fmod: NaN for an infinite or NaN dividend or a NaN divisor, x for an infinite divisor
    if math.isinf(x) or math.isnan(x) or math.isnan(y):
        return math.nan
    if math.isinf(y):
        return x
    return math.fmod(x, y)


def num_to_float(v):
    if v[0] == 'float':
        return v[1]
    if v[0] == 'int':
        return float(v[1])  # correctly rounded
    return to_float(exact(v))


def arith(op, a, b):
    if a == MISSING or b == MISSING:
        return MISSING
    if a == NULL or b == NULL:
        return NULL
    x, y = as_number(a), as_number(b)
    if x is None or y is None:
        bad = a if x is None else b
        if bad[0] == 'str' and bad[2]:
            return NULL
        raise SqlError('InvalidDataType')
    if x[0] == 'int' and y[0] == 'int':
        i, j = x[1], y[1]
        if op in '/%' and j == 0:
            raise SqlError('DivisionByZero')
        if op == '+':
            r = i + j
        elif op == '-':
            r = i - j
        elif op == '*':
            r = i * j
        elif op == '/':
            q = abs(i) // abs(j)
            r = q if (i < 0) == (j < 0) else -q
        else:
            r = abs(i) % abs(j)
            r = -r if i < 0 else r
        if not INT_MIN <= r <= INT_MAX:
            raise SqlError('IntegerOverflow')
        return ('int', r)
    if x[0] == 'float' or y[0] == 'float':
        return ('float', float_op(op, num_to_float(x), num_to_float(y)))
    sx = x[2] if x[0] == 'dec' else 0
    sy = y[2] if y[0] == 'dec' else 0
    fx, fy = exact(x), exact(y)
    if op in '/%' and fy == 0:
        raise SqlError('DivisionByZero')
    if op == '+':
        return dec_result(fx + fy, max(sx, sy))
    if op == '-':
        return dec_result(fx - fy, max(sx, sy))
    if op == '*':
        return dec_result(fx * fy, sx + sy)
    if op == '/':
        return dec_result(fx / fy)
    s = max(sx, sy)
    ix, iy = int(fx * 10 ** s), int(fy * 10 ** s)
    r = abs(ix) % abs(iy)
    return ('dec', -r if ix < 0 else r, s)


def negate(a):
    if a[0] in ('null', 'missing'):
        return a
    x = as_number(a)
    if x is None:
        if a[0] == 'str' and a[2]:
            return NULL
        raise SqlError('InvalidDataType')
    if x[0] == 'int':
        if x[1] == INT_MIN:
            raise SqlError('IntegerOverflow')
        return ('int', -x[1])
    if x[0] == 'float':
        return ('float', -x[1])
    return ('dec', -x[1], x[2])


# ---- comparison ---------------------------------------------------------------------------

UNKNOWN, TYPES, NAN = 'unknown', 'types', 'nan'


def num_cmp(x, y):
    for v in (x, y):
        if v[0] == 'float' and math.isnan(v[1]):
            return NAN
    if x[0] == 'float' and y[0] == 'float':
        return (x[1] > y[1]) - (x[1] < y[1])
    # exact values; an infinite FLOAT is beyond every DECIMAL and INT
    def key(v):
        if v[0] == 'float' and math.isinf(v[1]):
            return None
        return exact(v)
    kx, ky = key(x), key(y)
    if kx is None or ky is None:
        gx = 0 if kx is not None else (1 if x[1] > 0 else -1)
        gy = 0 if ky is not None else (1 if y[1] > 0 else -1)
        return (gx > gy) - (gx < gy)
    return (kx > ky) - (kx < ky)


def str_cmp(a, b):
    x, y = a.encode(), b.encode()
    return (x > y) - (x < y)


def compare(a, b):
    if a[0] in ('null', 'missing') or b[0] in ('null', 'missing'):
        return UNKNOWN
    if a[0] == 'str' and b[0] == 'str':
        if a[2] and b[2]:
            x, y = parse_number(a[1]), parse_number(b[1])
            if x is not None and y is not None:
                return num_cmp(x, y)
        return str_cmp(a[1], b[1])
    if a[0] in ('int', 'dec', 'float') or b[0] in ('int', 'dec', 'float'):
        x, y = as_number(a), as_number(b)
        if x is not None and y is not None:
            return num_cmp(x, y)
        if (x is None and a[0] == 'str' and a[2]) or (y is None and b[0] == 'str' and b[2]):
            return UNKNOWN
        return TYPES
    if a[0] == 'bool' or b[0] == 'bool':
        s, o = (b, a) if a[0] == 'bool' else (a, b)
        if s[0] == 'bool':
            sv = s[1]
        elif s[0] == 'str' and s[2] and s[1].lower() in ('true', 'false'):
            sv = s[1].lower() == 'true'
        else:
            return UNKNOWN if (s[0] == 'str' and s[2]) else TYPES
        l, r = (o[1], sv) if a[0] == 'bool' else (sv, o[1])
        return (l > r) - (l < r)
    return TYPES


def cmp_value(op, c):
    if c == UNKNOWN:
        return NULL
    if c == NAN:
        return ('bool', op == '<>')
    if c == TYPES:
        return ('bool', False) if op == '=' else ('bool', True) if op == '<>' else NULL
    return ('bool', {'=': c == 0, '<>': c != 0, '<': c < 0, '<=': c <= 0, '>': c > 0,
                     '>=': c >= 0}[op])


def truth(v):
    return v[1] if v[0] == 'bool' else None


def between(a, lo, hi, negated=False):
    t1, t2 = truth(cmp_value('>=', compare(a, lo))), truth(cmp_value('<=', compare(a, hi)))
    if t1 is False or t2 is False:
        t = False
    elif t1 is None or t2 is None:
        t = None
    else:
        t = True
    if t is not None and negated:
        t = not t
    return NULL if t is None else ('bool', t)


def in_list(a, items, negated=False):
    """items: an iterable evaluated lazily (IN stops at the first match)."""
    t = False
    for b in items:
        ti = truth(cmp_value('=', compare(a, b)))
        if ti is True:
            t = True
            break
        if ti is None:
            t = None
    if t is not None and negated:
        t = not t
    return NULL if t is None else ('bool', t)


def nullif(a, b):
    if a[0] in ('null', 'missing'):
        return NULL
    return NULL if compare(a, b) == 0 else a


def case_simple(a, pairs, default):
    """pairs: (thunk of the WHEN value, THEN value); WHENs are evaluated until one matches."""
    for w, t in pairs:
        if truth(cmp_value('=', compare(a, w()))) is True:
            return t
    return default


# ---- order for MIN / MAX / ORDER BY -------------------------------------------------------

def order(a, b):
    """pluck(1): absent < BOOL < numbers < timestamps < strings; a CSV field that reads as
    a number is that number; NaN after every other number and equal to itself."""
    def view(v):
        if v[0] == 'str' and v[2]:
            n = parse_number(v[1])
            if n is not None:
                return n
        return v

    def rank(v):
        return {'missing': 0, 'null': 0, 'bool': 1, 'str': 4}.get(v[0], 2)
    x, y = view(a), view(b)
    rx, ry = rank(x), rank(y)
    if rx != ry:
        return -1 if rx < ry else 1
    if rx == 0:
        return 0
    if rx == 1:
        return (x[1] > y[1]) - (x[1] < y[1])
    if rx == 4:
        return str_cmp(x[1], y[1])
    c = num_cmp(x, y)
    if c == NAN:
        xn = x[0] == 'float' and math.isnan(x[1])
        yn = y[0] == 'float' and math.isnan(y[1])
        return int(xn) - int(yn)
    return c


# ---- CAST ---------------------------------------------------------------------------------

def float_to_decimal(f):
    """CAST(FLOAT AS DECIMAL): the shortest decimal that reads back as f (repr), trailing
    zeros dropped; CastFailed when it is not a DECIMAL (scale above 38, 38 digits or more)."""
    if math.isnan(f) or math.isinf(f):
        return None
    m = re.match(r'(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?\Z', repr(f))
    sign, ip, fp, ex = m.groups()
    fp = fp or ''
    digits = (ip + fp).lstrip('0') or '0'
    scale = len(fp) - int(ex or 0)
    n = int(digits)
    while scale > 0 and n % 10 == 0 and n:
        n //= 10
        scale -= 1
    if n == 0:
        scale = 0
    if scale < 0:
        n *= 10 ** -scale
        scale = 0
    if scale > DEC_DIGITS or n >= DEC_LIMIT:
        return None
    return ('dec', -n if sign else n, scale)


def cast(v, typ):
    if v[0] in ('null', 'missing'):
        return v
    if typ == 'STRING':
        if v[0] == 'str':
            return ('str', v[1], False)
        return ('str', text(v), False)
    if typ == 'BOOL':
        if v[0] == 'bool':
            return v
        if v[0] == 'str':
            t = v[1].strip(' \t').lower()
            if t in ('true', 'false'):
                return ('bool', t == 'true')
            raise SqlError('CastFailed')
        return ('bool', num_to_float(v) != 0)
    if v[0] == 'str':
        num = parse_number(v[1], trim=True)
        if num is None:
            raise SqlError('CastFailed')
    elif v[0] == 'bool':
        num = ('int', int(v[1]))
    else:
        num = v
    if typ == 'INT':
        if num[0] == 'int':
            return num
        if num[0] == 'dec':
            q = abs(num[1]) // 10 ** num[2]
            q = -q if num[1] < 0 else q
        else:
            f = num[1]
            if not (-2.0 ** 63 <= f < 2.0 ** 63):
                raise SqlError('IntegerOverflow')
            q = int(f)
        if not INT_MIN <= q <= INT_MAX:
            raise SqlError('IntegerOverflow')
        return ('int', q)
    if typ == 'FLOAT':
        if v[0] == 'str':
            return ('float', float(v[1].strip(' \t')))
        return ('float', num_to_float(num))
    # DECIMAL
    if num[0] == 'int':
        return ('dec', num[1], 0)
    if num[0] == 'dec':
        return num
    d = float_to_decimal(num[1])
    if d is None:
        raise SqlError('CastFailed')
    return d


# ---- strings ------------------------------------------------------------------------------

def concat(a, b):
    if a[0] in ('null', 'missing') or b[0] in ('null', 'missing'):
        return MISSING if MISSING in (a, b) else NULL
    return ('str', text(a) + text(b), False)


def need_str(v):
    if v[0] != 'str':
        raise SqlError('IncorrectSqlFunctionArgumentType')


def char_length(a):
    if a[0] in ('null', 'missing'):
        return a
    need_str(a)
    return ('int', len(a[1]))


def case_map(a, upper):
    if a[0] in ('null', 'missing'):
        return a
    need_str(a)
    out = []
    for c in a[1]:
        m = c.upper() if upper else c.lower()
        out.append(m if len(m) == 1 else c)  # simple mapping: one character to one
    return ('str', ''.join(out), False)


def substring(a, start, length=None):
    args = [a, start] + ([length] if length is not None else [])
    if any(x[0] in ('null', 'missing') for x in args):
        return NULL
    need_str(a)
    s = a[1]
    st = start[1]
    frm = max(st, 1)
    to = len(s)
    if length is not None:
        if length[1] < 0:
            raise SqlError('IllegalSqlFunctionArgument')
        to = min(to, st + length[1] - 1)
    if frm > to:
        return ('str', '', False)
    return ('str', s[frm - 1:to], False)


def trim(a, chars=None, where='BOTH'):
    if a[0] in ('null', 'missing') or (chars is not None and chars[0] in ('null', 'missing')):
        return NULL
    need_str(a)
    cs = ' ' if chars is None else chars[1]
    s = a[1]
    if where in ('BOTH', 'LEADING'):
        s = s.lstrip(cs) if cs else s
    if where in ('BOTH', 'TRAILING'):
        s = s.rstrip(cs) if cs else s
    return ('str', s, False)


def like(v, pat, esc=None, negated=False):
    if v[0] in ('null', 'missing') or pat[0] in ('null', 'missing'):
        return NULL
    if v[0] != 'str' or pat[0] != 'str':
        raise SqlError('LikeInvalidInputs')
    p = pat[1]
    rx = []
    i = 0
    while i < len(p):
        c = p[i]
        if esc is not None and c == esc:
            if i + 1 >= len(p) or p[i + 1] not in ('%', '_', esc):
                raise SqlError('EvaluatorLikePatternInvalidEscapeSequence')
            rx.append(re.escape(p[i + 1]))
            i += 2
            continue
        rx.append('.*' if c == '%' else '.' if c == '_' else re.escape(c))
        i += 1
    m = re.fullmatch(''.join(rx), v[1], re.DOTALL) is not None
    return ('bool', m != negated)


# ---- text of a value ----------------------------------------------------------------------

def float_text(f):
    """Shortest round-trip digits (repr), positional for 1e-7 <= |f| < 1e21, else d.ddde±X
    without a '+' (pluck(1) "Output")."""
    if math.isnan(f):
        return 'NaN'
    if math.isinf(f):
        return '-Infinity' if f < 0 else 'Infinity'
    if f == 0:
        return '-0' if math.copysign(1, f) < 0 else '0'
    m = re.match(r'(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?\Z', repr(f))
    sign, ip, fp, ex = m.groups()
    fp = fp or ''
    digits = ip + fp
    point = len(ip) + int(ex or 0)  # the value is 0.digits * 10^point
    lead = len(digits) - len(digits.lstrip('0'))
    digits = digits.lstrip('0')
    point -= lead
    digits = digits.rstrip('0') or '0'
    exp10 = point - 1
    if exp10 < -7 or exp10 >= 21:
        mant = digits[0] + ('.' + digits[1:] if len(digits) > 1 else '')
        return '%s%se%d' % (sign, mant, exp10)
    if point <= 0:
        return sign + '0.' + '0' * -point + digits
    if len(digits) <= point:
        return sign + digits + '0' * (point - len(digits))
    return sign + digits[:point] + '.' + digits[point:]


def dec_text(n, scale):
    s = str(abs(n)).rjust(scale + 1, '0')
    body = s[:len(s) - scale] + ('.' + s[len(s) - scale:] if scale else '')
    return ('-' if n < 0 else '') + body


def text(v):
    t = v[0]
    if t == 'int':
        return str(v[1])
    if t == 'dec':
        return dec_text(v[1], v[2])
    if t == 'float':
        return float_text(v[1])
    if t == 'str':
        return v[1]
    if t == 'bool':
        return 'true' if v[1] else 'false'
    return ''
