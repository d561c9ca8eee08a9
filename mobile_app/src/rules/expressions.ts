// The `show_if` expression language, a port of checklists/expressions.py with the same grammar,
// the same evaluation rules and the same error messages and columns. The conformance vectors
// (checklists/conformance/vectors.json) hold the two to one behaviour.
//
//     expression := and_expr ("or" and_expr)*
//     and_expr   := not_expr ("and" not_expr)*
//     not_expr   := "not" not_expr | comparison
//     comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=") operand]
//                 | operand ["not"] "in" list
//     operand    := reference | literal | "(" expression ")"
//     reference  := ITEM_KEY ["." ("answer" | "numerator" | "denominator" | "photo_count")]
//     literal    := STRING | NUMBER | "true" | "false" | "null"
//     list       := "[" [literal ("," literal)* [","]] "]"
//
// Python semantics that JavaScript does not give for free, and how they are kept:
// - Columns and the length limit count code points, as Python indexes a str (the text is read as
//   an array of code points, so "😀" is one character).
// - Integers are exact at any size: a literal beyond 2^53 is a bigint, and JavaScript compares a
//   bigint with a number by their exact values, as Python compares int with float.
// - 1 == 1.0 (one kind of number), true is not 1, null equals only null, strings order by code
//   point; ordering anything but two numbers or two strings is false.
// - Whitespace is Python's, names are ASCII, and messages quote text with Python's repr().

import { compareStrings, hasOwn, isAlphanumeric, isBlank, isSpace, repr } from "./python";

export const MAX_EXPRESSION_LENGTH = 1000;
export const MAX_NESTING = 32;

/** The facts a reference can read from an answered item; a bare reference reads `answer`. */
export const ATTRIBUTES = ["answer", "denominator", "numerator", "photo_count"] as const;
export type Attribute = (typeof ATTRIBUTES)[number];
export const KEYWORDS: ReadonlySet<string> = new Set([
  "and",
  "or",
  "not",
  "in",
  "true",
  "false",
  "null",
]);

/** A value in an expression; integer literals beyond 2^53 are bigints so they stay exact. */
export type ExpressionValue = string | number | bigint | boolean | null;
export type ComparisonOperator = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in";

/**
 * A `show_if` expression that cannot be parsed. `reason` is Python's `ExpressionError.message`,
 * `column` the 0-based offset (in code points); `message` reads like Python's str(error).
 */
export class ExpressionError extends Error {
  readonly reason: string;
  readonly column: number;

  constructor(reason: string, column: number) {
    super(`${reason} (at column ${column + 1})`);
    this.name = "ExpressionError";
    this.reason = reason;
    this.column = column;
  }
}

// --- Syntax tree ---------------------------------------------------------------------------------

export interface Reference {
  kind: "reference";
  itemKey: string;
  attribute: Attribute;
  column: number;
}

export interface Literal {
  kind: "literal";
  value: ExpressionValue;
  column: number;
}

export interface ListLiteral {
  kind: "list";
  items: Literal[];
  column: number;
}

export interface Comparison {
  kind: "comparison";
  operator: ComparisonOperator;
  left: ExpressionNode;
  right: ExpressionNode;
  column: number;
}

export interface Not {
  kind: "not";
  operand: ExpressionNode;
  column: number;
}

export interface BooleanOperation {
  kind: "boolean";
  operator: "and" | "or";
  operands: ExpressionNode[];
  column: number;
}

export type ExpressionNode =
  | Reference
  | Literal
  | ListLiteral
  | Comparison
  | Not
  | BooleanOperation;

// --- Tokenizer -----------------------------------------------------------------------------------

interface Token {
  kind: "name" | "string" | "number" | "operator" | "punctuation" | "end";
  text: string;
  column: number;
  value: ExpressionValue;
}

const TWO_CHARACTER_OPERATORS = new Set(["==", "!=", "<=", ">="]);
const ONE_CHARACTER_OPERATORS = new Set(["<", ">"]);
const PUNCTUATION = new Set(["(", ")", "[", "]", ",", "."]);
const STRING_ESCAPES = new Map([
  ['"', '"'],
  ["'", "'"],
  ["\\", "\\"],
  ["n", "\n"],
  ["t", "\t"],
]);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function token(kind: Token["kind"], text: string, column: number, value: ExpressionValue = null) {
  return { kind, text, column, value };
}

function isDigit(character: string | undefined): boolean {
  // Only ASCII digits: Python's str.isdigit() would also accept "²", which int() cannot read.
  return character !== undefined && character >= "0" && character <= "9" && character.length === 1;
}

function isAsciiLetter(character: string): boolean {
  return /^[A-Za-z]$/.test(character);
}

function isNameCharacter(character: string): boolean {
  return /^[A-Za-z0-9_]$/.test(character);
}

function tokenize(characters: string[]): Token[] {
  const tokens: Token[] = [];
  const length = characters.length;
  let position = 0;
  while (position < length) {
    const character = characters[position];
    const pair = character + (characters[position + 1] ?? "");
    if (isSpace(character)) {
      position += 1;
    } else if (isAsciiLetter(character)) {
      const start = position;
      while (position < length && isNameCharacter(characters[position])) position += 1;
      tokens.push(token("name", characters.slice(start, position).join(""), start));
    } else if (isDigit(character) || (character === "-" && isDigit(characters[position + 1]))) {
      const number = readNumber(characters, position);
      tokens.push(number);
      position += number.text.length; // ASCII only, so UTF-16 length = code points
    } else if (character === '"' || character === "'") {
      const [string, end] = readString(characters, position);
      tokens.push(string);
      position = end;
    } else if (TWO_CHARACTER_OPERATORS.has(pair)) {
      tokens.push(token("operator", pair, position));
      position += 2;
    } else if (ONE_CHARACTER_OPERATORS.has(character)) {
      tokens.push(token("operator", character, position));
      position += 1;
    } else if (PUNCTUATION.has(character)) {
      tokens.push(token("punctuation", character, position));
      position += 1;
    } else if (character === "=") {
      throw new ExpressionError("use '==' to compare, not '='", position);
    } else {
      throw new ExpressionError(`unexpected character ${repr(character)}`, position);
    }
  }
  tokens.push(token("end", "", length));
  return tokens;
}

function integerValue(text: string): number | bigint {
  const value = BigInt(text);
  return value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value;
}

function readNumber(characters: string[], start: number): Token {
  let position = start + 1;
  let seenPoint = false;
  while (
    position < characters.length &&
    (isDigit(characters[position]) || characters[position] === ".")
  ) {
    if (characters[position] === ".") {
      // `1.5` is a number; `1.` followed by a non-digit is not.
      if (seenPoint || !isDigit(characters[position + 1])) break;
      seenPoint = true;
    }
    position += 1;
  }
  const following = characters[position];
  if (following !== undefined && (isAlphanumeric(following) || following === "_")) {
    throw new ExpressionError("a number cannot run into a name", start);
  }
  const text = characters.slice(start, position).join("");
  return token("number", text, start, seenPoint ? Number(text) : integerValue(text));
}

function readString(characters: string[], start: number): [Token, number] {
  const quote = characters[start];
  const read: string[] = [];
  let position = start + 1;
  while (position < characters.length) {
    const character = characters[position];
    if (character === quote) {
      const text = characters.slice(start, position + 1).join("");
      return [token("string", text, start, read.join("")), position + 1];
    }
    if (character === "\\") {
      const escaped = STRING_ESCAPES.get(characters[position + 1] ?? "");
      if (escaped === undefined) throw new ExpressionError("unknown escape in string", position);
      read.push(escaped);
      position += 2;
      continue;
    }
    read.push(character);
    position += 1;
  }
  throw new ExpressionError("string is not closed", start);
}

// --- Parser --------------------------------------------------------------------------------------

const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(["==", "!=", "<", "<=", ">", ">="]);

function describe(current: Token): string {
  return current.kind === "end" ? "end of expression" : repr(current.text);
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private depth = 0;

  constructor(characters: string[]) {
    this.tokens = tokenize(characters);
  }

  private get current(): Token {
    return this.tokens[this.index];
  }

  private advance(): Token {
    const current = this.tokens[this.index];
    this.index += 1;
    return current;
  }

  private atKeyword(word: string): boolean {
    return this.current.kind === "name" && this.current.text === word;
  }

  private atPunctuation(character: string): boolean {
    return this.current.kind === "punctuation" && this.current.text === character;
  }

  private expectPunctuation(character: string): Token {
    if (this.atPunctuation(character)) return this.advance();
    throw new ExpressionError(
      `expected '${character}', found ${describe(this.current)}`,
      this.current.column,
    );
  }

  parse(): ExpressionNode {
    const node = this.expression();
    if (this.current.kind !== "end") {
      throw new ExpressionError(`unexpected ${describe(this.current)}`, this.current.column);
    }
    return node;
  }

  /** Guard every recursion (parentheses, `not`) so a hostile file cannot exhaust the stack. */
  private nested<T>(parse: () => T): T {
    this.depth += 1;
    try {
      if (this.depth > MAX_NESTING) {
        throw new ExpressionError("expression is nested too deeply", this.current.column);
      }
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  private expression(): ExpressionNode {
    return this.nested(() => this.booleanChain("or", () => this.andExpression()));
  }

  private andExpression(): ExpressionNode {
    return this.booleanChain("and", () => this.notExpression());
  }

  private booleanChain(word: "and" | "or", parseOperand: () => ExpressionNode): ExpressionNode {
    const start = this.current.column;
    const operands = [parseOperand()];
    while (this.atKeyword(word)) {
      this.advance();
      operands.push(parseOperand());
    }
    if (operands.length === 1) return operands[0];
    return { kind: "boolean", operator: word, operands, column: start };
  }

  private notExpression(): ExpressionNode {
    if (this.atKeyword("not")) {
      const not = this.advance();
      return this.nested(() => ({
        kind: "not",
        operand: this.notExpression(),
        column: not.column,
      }));
    }
    return this.comparison();
  }

  private comparison(): ExpressionNode {
    const left = this.operand();
    const operator = this.current;
    if (operator.kind === "operator" && COMPARISON_OPERATORS.has(operator.text)) {
      this.advance();
      const right = this.operand();
      return {
        kind: "comparison",
        operator: operator.text as ComparisonOperator,
        left,
        right,
        column: operator.column,
      };
    }
    if (this.atKeyword("in") || (this.atKeyword("not") && this.nextIsKeyword("in"))) {
      const negated = this.atKeyword("not");
      this.advance();
      if (negated) this.advance();
      if (!this.atPunctuation("[")) {
        throw new ExpressionError(
          '\'in\' needs a list such as ["yes", "na"]',
          this.current.column,
        );
      }
      const right = this.listLiteral();
      return {
        kind: "comparison",
        operator: negated ? "not in" : "in",
        left,
        right,
        column: operator.column,
      };
    }
    if (left.kind === "literal" && typeof left.value === "boolean") return left;
    if (left.kind === "comparison" || left.kind === "not" || left.kind === "boolean") return left;
    throw new ExpressionError('a condition must compare something, e.g. A1 == "yes"', left.column);
  }

  private nextIsKeyword(word: string): boolean {
    const following = this.tokens[this.index + 1];
    return following.kind === "name" && following.text === word;
  }

  private operand(): ExpressionNode {
    const current = this.current;
    if (this.atPunctuation("(")) {
      this.advance();
      const node = this.expression();
      this.expectPunctuation(")");
      // Parentheses only group; a parenthesised comparison is still a condition.
      return node;
    }
    if (this.atPunctuation("[")) {
      throw new ExpressionError("a list can only follow 'in'", current.column);
    }
    if (current.kind === "string" || current.kind === "number") {
      this.advance();
      return { kind: "literal", value: current.value, column: current.column };
    }
    if (current.kind === "name") return this.name();
    throw new ExpressionError(`expected a value, found ${describe(current)}`, current.column);
  }

  private name(): ExpressionNode {
    const name = this.advance();
    if (name.text === "true") return { kind: "literal", value: true, column: name.column };
    if (name.text === "false") return { kind: "literal", value: false, column: name.column };
    if (name.text === "null") return { kind: "literal", value: null, column: name.column };
    if (KEYWORDS.has(name.text)) {
      throw new ExpressionError(`expected a value, found '${name.text}'`, name.column);
    }
    if (this.atPunctuation("(")) {
      throw new ExpressionError("function calls are not allowed", this.current.column);
    }
    let attribute: Attribute = "answer";
    if (this.atPunctuation(".")) {
      this.advance();
      const attributeToken = this.current;
      const known = (ATTRIBUTES as readonly string[]).includes(attributeToken.text);
      if (attributeToken.kind !== "name" || !known) {
        throw new ExpressionError(
          `unknown attribute ${repr(attributeToken.text)}; use one of ${ATTRIBUTES.join(", ")}`,
          attributeToken.column,
        );
      }
      this.advance();
      attribute = attributeToken.text as Attribute;
    }
    return { kind: "reference", itemKey: name.text, attribute, column: name.column };
  }

  private listLiteral(): ListLiteral {
    const opening = this.expectPunctuation("[");
    const items: Literal[] = [];
    while (!this.atPunctuation("]")) {
      const element = this.operand();
      if (element.kind !== "literal") {
        throw new ExpressionError("list elements must be literal values", element.column);
      }
      items.push(element);
      if (this.atPunctuation(",")) {
        this.advance();
      } else if (!this.atPunctuation("]")) {
        throw new ExpressionError(
          `expected ',' or ']', found ${describe(this.current)}`,
          this.current.column,
        );
      }
    }
    this.advance();
    return { kind: "list", items, column: opening.column };
  }
}

/** Parse a `show_if` expression; throw `ExpressionError` (with a column) when it is not valid. */
export function parseExpression(expression: string): ExpressionNode {
  if (typeof expression !== "string") {
    throw new ExpressionError("an expression must be a string", 0);
  }
  const characters = Array.from(expression);
  if (characters.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(
      `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`,
      MAX_EXPRESSION_LENGTH,
    );
  }
  if (isBlank(expression)) throw new ExpressionError("expression is empty", 0);
  return new Parser(characters).parse();
}

// --- Analysis and evaluation ---------------------------------------------------------------------

/** Every node of the tree, parents before children. */
export function walk(node: ExpressionNode): ExpressionNode[] {
  const nodes: ExpressionNode[] = [node];
  if (node.kind === "comparison") nodes.push(...walk(node.left), ...walk(node.right));
  else if (node.kind === "not") nodes.push(...walk(node.operand));
  else if (node.kind === "boolean") nodes.push(...node.operands.flatMap(walk));
  else if (node.kind === "list") nodes.push(...node.items);
  return nodes;
}

/** The keys of the items an expression reads, in the order it first reads them. */
export function references(node: ExpressionNode): string[] {
  const keys = new Set<string>();
  for (const each of walk(node)) if (each.kind === "reference") keys.add(each.itemKey);
  return [...keys];
}

/** What a condition can read about one item; a missing attribute reads as null. */
export type ItemFacts = Partial<Record<Attribute, ExpressionValue>>;

/**
 * Item key → either its plain value (what a bare reference reads) or its facts. Missing keys and
 * missing attributes read as null.
 */
export type ExpressionFacts = Readonly<Record<string, ExpressionValue | ItemFacts | undefined>>;

type Evaluated = ExpressionValue | ExpressionValue[];

/** Evaluate a parsed condition. */
export function evaluateExpression(node: ExpressionNode, values: ExpressionFacts): boolean {
  const result = evaluate(node, values);
  // The parser only lets conditions through, so a non-boolean here is a bug, not user input.
  if (typeof result !== "boolean") {
    throw new TypeError(`expression did not produce a boolean: ${String(result)}`);
  }
  return result;
}

function evaluate(node: ExpressionNode, values: ExpressionFacts): Evaluated {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "list":
      return node.items.map((item) => item.value);
    case "reference":
      return readReference(node, values);
    case "not":
      return !evaluate(node.operand, values);
    case "boolean":
      return node.operator === "and"
        ? node.operands.every((operand) => evaluate(operand, values) === true)
        : node.operands.some((operand) => evaluate(operand, values) === true);
    case "comparison":
      return compare(node.operator, evaluate(node.left, values), evaluate(node.right, values));
  }
}

function readReference(reference: Reference, values: ExpressionFacts): ExpressionValue {
  // Own keys only: an item called `constructor` must not read Object.prototype.constructor.
  if (!hasOwn(values, reference.itemKey)) return null;
  const itemValue = values[reference.itemKey];
  if (itemValue !== null && typeof itemValue === "object") {
    const known = hasOwn(itemValue, reference.attribute);
    return known ? (itemValue[reference.attribute] ?? null) : null;
  }
  return reference.attribute === "answer" ? (itemValue ?? null) : null;
}

function isNumber(value: Evaluated): value is number | bigint {
  return typeof value === "number" || typeof value === "bigint";
}

function equal(left: Evaluated, right: Evaluated): boolean {
  // Python says True == 1; a checklist author comparing a count with `true` means something else.
  if (typeof left === "boolean" || typeof right === "boolean") return left === right;
  // `==` compares a bigint with a number by exact value, as Python compares int with float.
  if (isNumber(left) && isNumber(right)) return left == right;
  return typeof left === typeof right && !Array.isArray(left) && left === right;
}

function compare(operator: ComparisonOperator, left: Evaluated, right: Evaluated): boolean {
  if (operator === "==") return equal(left, right);
  if (operator === "!=") return !equal(left, right);
  if (operator === "in" || operator === "not in") {
    const members = Array.isArray(right) ? right : [];
    const found = members.some((member) => equal(left, member));
    return operator === "in" ? found : !found;
  }
  let order: number;
  if (isNumber(left) && isNumber(right)) {
    // NaN never reaches here from an answer; like Python, every comparison with it is false.
    if (left < right) order = -1;
    else if (left > right) order = 1;
    else if (left == right) order = 0;
    else return false;
  } else if (typeof left === "string" && typeof right === "string") {
    order = compareStrings(left, right);
  } else {
    return false;
  }
  if (operator === "<") return order < 0;
  if (operator === "<=") return order <= 0;
  if (operator === ">") return order > 0;
  return order >= 0;
}
