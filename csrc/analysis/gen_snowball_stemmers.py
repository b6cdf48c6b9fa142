"""Generates csrc/third_party/snowball/ (one C++ file per Snowball stemmer) from the snowballstemmer package.

    python csrc/analysis/gen_snowball_stemmers.py path/to/snowballstemmer-3.1.1/src/snowballstemmer

snowballstemmer (PyPI, BSD-3-Clause) is Snowball's own code generator's output for Python: one class per algorithm,
written against a small runtime (BaseStemmer). This script translates that Python, statement for statement, into
C++ against the same runtime ported to C++ (csrc/analysis/snowball_env.hpp). The generated code has a fixed shape
(routines of assignments, ifs, `while True` loops and `try: ... raise labN() ... except labN: pass` jumps, which
become gotos), and anything outside that shape stops the translation with an error rather than guessing.
"""

from __future__ import annotations

import ast
import pathlib
import re
import sys
from typing import Optional

OUT = pathlib.Path(__file__).resolve().parents[1] / "third_party" / "snowball"
ENV_FIELDS = {"cursor", "limit", "limit_backward", "bra", "ket"}
ENV_CALLS = {
    "in_grouping", "in_grouping_b", "out_grouping", "out_grouping_b", "go_in_grouping", "go_in_grouping_b",
    "go_out_grouping", "go_out_grouping_b", "eq_s", "eq_s_b", "find_among", "find_among_b", "slice_from",
    "slice_del", "insert", "slice_to",
}
COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


class Unsupported(Exception):
    pass


def u32_literal(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        else:
            out.append(f"\\U{code:08X}")
    return 'U"' + "".join(out) + '"sv'


def char_literal(char: str) -> str:
    code = ord(char)
    if char in "'\\":
        return "U'\\" + char + "'"
    if 0x20 <= code < 0x7F:
        return f"U'{char}'"
    return f"U'\\U{code:08X}'"


def routine_name(attr: str) -> str:
    if attr == "_stem":
        return "stem"
    if attr.startswith("__r_"):
        return "r_" + attr[4:]
    raise Unsupported(f"routine {attr}")


class Routine:
    """Translates one method body."""

    def __init__(self, stemmer: "Stemmer", name: str) -> None:
        self.stemmer = stemmer
        self.name = name
        self.locals: dict[str, str] = {}
        self.labels: dict[str, list[str]] = {}
        self.used_labels: set[str] = set()
        self.label_count = 0
        self.lines: list[str] = []

    # -- expressions ------------------------------------------------------------------------------------------

    def is_current_char(self, node: ast.expr) -> bool:
        return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                and node.value.attr == "current")

    def expr(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "true" if node.value else "false"
            if isinstance(node.value, int):
                return str(node.value)
            if isinstance(node.value, str):
                return u32_literal(node.value)
        if isinstance(node, ast.Name):
            if node.id not in self.locals:
                raise Unsupported(f"unknown name {node.id}")
            return node.id
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Subscript):
            if self.is_current_char(node):
                return f"current[{self.expr(node.slice)}]"
            if isinstance(node.value, ast.Attribute) and node.value.attr.startswith("as_"):
                return f"{node.value.attr}[{self.expr(node.slice)}]"
            raise Unsupported(ast.unparse(node))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return f"!{self.expr(node.operand)}"
            if isinstance(node.op, ast.USub):
                return f"-{self.expr(node.operand)}"
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            op = "+" if isinstance(node.op, ast.Add) else "-"
            return f"({self.expr(node.left)} {op} {self.expr(node.right)})"
        if isinstance(node, ast.BoolOp):
            op = " || " if isinstance(node.op, ast.Or) else " && "
            return "(" + op.join(self.expr(value) for value in node.values) + ")"
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE:
            left, right = node.left, node.comparators[0]
            op = COMPARE[type(node.ops[0])]
            return f"({self.operand(left, right)} {op} {self.operand(right, left)})"
        if isinstance(node, ast.Call):
            return self.call(node)
        raise Unsupported(ast.unparse(node))

    def operand(self, node: ast.expr, other: ast.expr) -> str:
        # A one-character string compared with a character of the word is a character, not a string.
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) == 1
                and self.is_current_char(other)):
            return char_literal(node.value)
        return self.expr(node)

    def attribute(self, node: ast.Attribute) -> str:
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id == "self":
            if node.attr in ENV_FIELDS or node.attr[:2] in ("I_", "B_", "S_"):
                return node.attr
        if isinstance(owner, ast.Name) and owner.id == self.stemmer.class_name:
            if node.attr.startswith(("g_", "a_", "as_")):
                return node.attr
        raise Unsupported(ast.unparse(node))

    def call(self, node: ast.Call) -> str:
        function = node.func
        if isinstance(function, ast.Name) and function.id == "len":
            (argument,) = node.args
            if isinstance(argument, ast.Attribute) and argument.attr == "current":
                return "static_cast<int>(current.size())"
            raise Unsupported(ast.unparse(node))
        if not (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                and function.value.id == "self"):
            raise Unsupported(ast.unparse(node))
        arguments = ", ".join(self.expr(argument) for argument in node.args)
        if function.attr in ENV_CALLS:
            return f"{function.attr}({arguments})"
        if node.args:
            raise Unsupported(ast.unparse(node))
        return f"{routine_name(function.attr)}()"

    # -- statements -------------------------------------------------------------------------------------------

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def value_type(self, value: ast.expr) -> str:
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            return "bool"
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return "std::u32string"
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "slice_to":
            return "std::u32string"
        if isinstance(value, ast.Attribute) and value.attr.startswith("B_"):
            return "bool"
        if isinstance(value, ast.Attribute) and value.attr.startswith("S_"):
            return "std::u32string"
        return "int"

    def declare_locals(self, body: list[ast.stmt]) -> None:
        # Every local is declared at the top, so that no goto jumps over an initialization.
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        kind = self.value_type(node.value)
                        if self.locals.setdefault(target.id, kind) != kind:
                            raise Unsupported(f"{target.id} has two types")

    def block(self, body: list[ast.stmt], depth: int) -> None:
        for statement in body:
            self.statement(statement, depth)

    def statement(self, node: ast.stmt, depth: int) -> None:
        if isinstance(node, ast.Assign):
            (target,) = node.targets
            name = target.id if isinstance(target, ast.Name) else self.attribute(target)  # type: ignore[arg-type]
            self.emit(depth, f"{name} = {self.expr(node.value)};")
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            op = "+=" if isinstance(node.op, ast.Add) else "-="
            self.emit(depth, f"{self.expr(node.target)} {op} {self.expr(node.value)};")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self.emit(depth, f"{self.call(node.value)};")
        elif isinstance(node, ast.Return):
            if node.value is None:
                raise Unsupported("bare return")
            self.emit(depth, f"return {self.expr(node.value)};")
        elif isinstance(node, ast.If):
            self.if_chain(node, depth, "if")
        elif isinstance(node, ast.While):
            if not (isinstance(node.test, ast.Constant) and node.test.value is True) or node.orelse:
                raise Unsupported("while other than `while True`")
            self.emit(depth, "while (true) {")
            self.block(node.body, depth + 1)
            self.emit(depth, "}")
        elif isinstance(node, ast.For):
            # `for _ in 0, 0:` is Snowball's `loop N`.
            if not (isinstance(node.iter, ast.Tuple) and isinstance(node.target, ast.Name)) or node.orelse:
                raise Unsupported(ast.unparse(node))
            counter = f"loop_{self.label_count}"
            self.label_count += 1
            self.emit(depth, f"for (int {counter} = 0; {counter} < {len(node.iter.elts)}; ++{counter}) {{")
            self.block(node.body, depth + 1)
            self.emit(depth, "}")
        elif isinstance(node, ast.Try):
            self.try_block(node, depth)
        elif isinstance(node, ast.Raise):
            if not (isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name)):
                raise Unsupported(ast.unparse(node))
            label = self.labels[node.exc.func.id][-1]
            self.used_labels.add(label)
            self.emit(depth, f"goto {label};")
        elif isinstance(node, ast.Break):
            self.emit(depth, "break;")
        elif isinstance(node, ast.Continue):
            self.emit(depth, "continue;")
        elif not isinstance(node, ast.Pass):
            raise Unsupported(ast.unparse(node))

    def if_chain(self, node: ast.If, depth: int, keyword: str) -> None:
        self.emit(depth, f"{keyword} ({self.expr(node.test)}) {{")
        self.block(node.body, depth + 1)
        if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            self.if_chain(node.orelse[0], depth, "} else if")  # elif
            return
        if node.orelse:
            self.emit(depth, "} else {")
            self.block(node.orelse, depth + 1)
        self.emit(depth, "}")

    def try_block(self, node: ast.Try, depth: int) -> None:
        (handler,) = node.handlers
        if (node.orelse or node.finalbody or not isinstance(handler.type, ast.Name)
                or not all(isinstance(s, ast.Pass) for s in handler.body)):
            raise Unsupported("try other than `try: ... except labN: pass`")
        label = f"{handler.type.id}_{self.label_count}"
        self.label_count += 1
        self.labels.setdefault(handler.type.id, []).append(label)
        self.emit(depth, "{")
        self.block(node.body, depth + 1)
        self.emit(depth, "}")
        if label in self.used_labels:  # Snowball's optimizer can leave a try that nothing leaves early
            self.emit(depth, f"{label}:;")
        self.labels[handler.type.id].pop()

    def translate(self, function: ast.FunctionDef) -> list[str]:
        self.declare_locals(function.body)
        self.block(function.body, 1)
        declarations = []
        for name, kind in self.locals.items():
            initial = {"int": " = 0", "bool": " = false", "std::u32string": ""}[kind]
            declarations.append(f"  {kind} {name}{initial};")
        return declarations + self.lines


class Stemmer:
    """One generated Python module: its class's tables, state and routines."""

    def __init__(self, path: pathlib.Path) -> None:
        self.algorithm = path.name[: -len("_stemmer.py")]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        (self.cls,) = [node for node in tree.body if isinstance(node, ast.ClassDef) and not node.name.startswith("lab")]
        self.class_name = self.cls.name
        header = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.match(r"# Generated from (\S+) by Snowball (\S+)", header)
        if not match:
            raise Unsupported(f"{path}: no 'Generated from' line")
        self.source, self.version = match.group(1), match.group(2)

    def grouping(self, name: str, value: ast.expr) -> list[str]:
        # A set of characters, or a string of them for small groupings.
        members = ast.literal_eval(value)
        codes = sorted(ord(char) for char in members)
        low, high = codes[0], codes[-1]
        bits = bytearray((high - low) // 8 + 1)
        for code in codes:
            bits[(code - low) >> 3] |= 1 << ((code - low) & 7)
        data = ", ".join(str(b) for b in bits)
        return [f"const unsigned char {name}_bits[] = {{{data}}};",
                f"const Grouping {name} = {{{low}, {high}, {name}_bits}};"]

    def among(self, name: str, value: ast.List, methods: set[str]) -> list[str]:
        rows = []
        for element in value.elts:
            if not (isinstance(element, ast.Call) and isinstance(element.func, ast.Name)
                    and element.func.id == "Among"):
                raise Unsupported(f"{name}: {ast.unparse(element)}")
            text, substring, result = (ast.literal_eval(argument) for argument in element.args[:3])
            method = "nullptr"
            if len(element.args) == 4:
                routine = element.args[3]
                if not isinstance(routine, ast.Name):
                    raise Unsupported(ast.unparse(routine))
                methods.add(routine.id)
                method = f"&call_{routine_name(routine.id)}"
            rows.append(f"    {{{u32_literal(text)}, {substring}, {result}, {method}}},")
        return [f"const Among {name}[] = {{", *rows, "};"]

    def generate(self) -> str:
        state: list[str] = []
        tables: list[str] = []
        routines: list[ast.FunctionDef] = []
        methods: set[str] = set()
        for node in self.cls.body:
            if isinstance(node, ast.FunctionDef):
                routines.append(node)
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the docstring
            if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
                raise Unsupported(ast.unparse(node))
            name, value = node.targets[0].id, node.value
            if name.startswith("g_") and isinstance(value, (ast.Set, ast.Constant)):
                tables += self.grouping(name, value)
            elif name.startswith("a_") and isinstance(value, ast.List):
                tables += self.among(name, value, methods)
            elif name.startswith("as_") and isinstance(value, ast.Tuple):
                strings = ", ".join(u32_literal(ast.literal_eval(element)) for element in value.elts)
                tables.append(f"const std::u32string_view {name}[] = {{{strings}}};")
            elif name.startswith("I_") and isinstance(value, ast.Constant):
                state.append(f"  int {name} = {value.value};")
            elif name.startswith("B_") and isinstance(value, ast.Constant):
                state.append(f"  bool {name} = {'true' if value.value else 'false'};")
            elif name.startswith("S_") and isinstance(value, ast.Constant):
                state.append(f"  std::u32string {name} = {u32_literal(value.value)};")
            else:
                raise Unsupported(f"{self.class_name}.{name}")
        struct = f"{self.class_name}"
        out = [
            f"// Generated by csrc/analysis/gen_snowball_stemmers.py from snowballstemmer {self.version}'s",
            f"// {self.algorithm}_stemmer.py ({self.source}, Snowball {self.version}, BSD-3-Clause: see COPYING).",
            "// Do not edit.",
            '#include "analysis/snowball_env.hpp"',
            '#include "snowball/algorithms.hpp"',
            "",
            "namespace sparsebolt::snowball {",
            "namespace {",
            "",
            "using namespace std::string_view_literals;",
            "",
            f"struct {struct} final : Env {{",
            *state,
        ]
        out += [f"  bool {routine_name(routine.name)}();" for routine in routines]
        out += ["};", ""]
        for method in sorted(methods):
            name = routine_name(method)
            out.append(f"bool call_{name}(Env& env) {{ return static_cast<{struct}&>(env).{name}(); }}")
        out += ["", *tables, ""]
        for routine in routines:
            body = Routine(self, routine.name).translate(routine)
            out += [f"bool {struct}::{routine_name(routine.name)}() {{", *body, "}", ""]
        out += [
            "}  // namespace",
            "",
            f"void stem_{self.algorithm}(std::string& word) {{",
            "  // One state per thread: a stemmer's state changes as it runs.",
            f"  thread_local {struct} stemmer;",
            "  stem_utf8(stemmer, word);",
            "}",
            "",
            "}  // namespace sparsebolt::snowball",
            "",
        ]
        return "\n".join(out)


def main(package: str) -> int:
    modules = sorted(pathlib.Path(package).glob("*_stemmer.py"), key=lambda path: path.name[: -len("_stemmer.py")])
    if not modules:
        print(f"no *_stemmer.py under {package}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    algorithms = []
    version: Optional[str] = None
    for path in modules:
        stemmer = Stemmer(path)
        (OUT / f"stem_{stemmer.algorithm}.cpp").write_text(stemmer.generate(), encoding="utf-8")
        algorithms.append(stemmer.algorithm)
        version = stemmer.version
    header = [
        f"// Generated by csrc/analysis/gen_snowball_stemmers.py from snowballstemmer {version}. Do not edit.",
        "// The Snowball stemmers, one function each: stems a lowercase UTF-8 word in place. Thread-safe.",
        "#pragma once",
        "",
        "#include <string>",
        "",
        f'#define SPARSEBOLT_SNOWBALL_VERSION "{version}"',
        "",
        "// X-macro over the algorithms, in name order: SPARSEBOLT_SNOWBALL_ALGORITHM(name)",
        "#define SPARSEBOLT_SNOWBALL_ALGORITHMS(X) \\",
        *[f"  X({name}) \\" for name in algorithms[:-1]],
        f"  X({algorithms[-1]})",
        "",
        "namespace sparsebolt::snowball {",
        "",
        *[f"void stem_{name}(std::string& word);" for name in algorithms],
        "",
        "}  // namespace sparsebolt::snowball",
        "",
    ]
    (OUT / "algorithms.hpp").write_text("\n".join(header), encoding="utf-8")
    print(f"{len(algorithms)} stemmers (Snowball {version}) written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
