"""A small arithmetic expression evaluator (recursive descent)."""

import re

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|(.))")


def _tokens(text):
    tokens = []
    for number, other in _TOKEN.findall(text.strip() and text or ""):
        if number:
            tokens.append(float(number) if "." in number else int(number))
        elif other.strip():
            if other not in "+-*/^()":
                raise ValueError(f"unexpected character {other!r}")
            tokens.append(other)
    return tokens


class _Parser:
    def __init__(self, tokens):
        self.tokens, self.pos = tokens, 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def expr(self):
        value = self.term()
        while self.peek() in ("+", "-"):
            op, right = self.take(), self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self):
        value = self.unary()
        while self.peek() in ("*", "/"):
            op, right = self.take(), self.unary()
            if op == "*":
                value = value * right
            else:
                if right == 0:
                    raise ValueError("division by zero")
                value = value / right
        return value

    def unary(self):
        if self.peek() in ("-", "+"):
            op = self.take()
            value = self.unary()
            return -value if op == "-" else value
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == "^":
            self.take()
            exponent = self.unary()
            if base == 0 and exponent < 0:
                raise ValueError("division by zero")
            if isinstance(exponent, int) and exponent < 0:
                return float(base) ** exponent
            return base ** exponent
        return base

    def atom(self):
        token = self.take()
        if token is None:
            raise ValueError("missing operand at end of expression")
        if token == "(":
            value = self.expr()
            if self.take() != ")":
                raise ValueError("missing closing parenthesis")
            return value
        if isinstance(token, str):
            raise ValueError(f"unexpected {token!r}")
        return token


def evaluate(expression):
    """Return the value of the arithmetic expression (a string)."""
    tokens = _tokens(expression)
    if not tokens:
        raise ValueError("empty expression")
    parser = _Parser(tokens)
    value = parser.expr()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()!r}")
    return value
