// The few pieces of Python's string semantics the checklist rules depend on. JavaScript differs in
// each: `trim()` strips U+FEFF but not U+001C–U+001F or U+0085, strings compare by UTF-16 code
// unit rather than by code point, and error messages quote text the way Python's repr() does.

// Every character for which Python's str.isspace() is true (Unicode 14, Python 3.11).
const PYTHON_WHITESPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
    0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
    0x205f, 0x3000,
  ].map((codePoint) => String.fromCodePoint(codePoint)),
);

/** Python's `character.isspace()` for one code point. */
export function isSpace(character: string): boolean {
  return PYTHON_WHITESPACE.has(character);
}

/** Whether Python's `text.strip()` would be empty. */
export function isBlank(text: string): boolean {
  for (const character of text) {
    if (!isSpace(character)) return false;
  }
  return true;
}

const ALPHANUMERIC = /^[\p{L}\p{N}]$/u;

/** Python's `character.isalnum()` for one code point (letters and numerals of any script). */
export function isAlphanumeric(character: string): boolean {
  return ALPHANUMERIC.test(character);
}

const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hex(codePoint: number, digits: number): string {
  return codePoint.toString(16).padStart(digits, "0");
}

/** Python's `repr(text)` for a str, as error messages quote it. */
export function repr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let quoted = quote;
  for (const character of text) {
    const codePoint = character.codePointAt(0) as number;
    if (character === quote || character === "\\") quoted += `\\${character}`;
    else if (character === "\t") quoted += "\\t";
    else if (character === "\n") quoted += "\\n";
    else if (character === "\r") quoted += "\\r";
    else if (codePoint < 0x20 || codePoint === 0x7f) quoted += `\\x${hex(codePoint, 2)}`;
    else if (codePoint < 0x7f || character === " " || !NOT_PRINTABLE.test(character)) {
      quoted += character;
    } else if (codePoint <= 0xff) quoted += `\\x${hex(codePoint, 2)}`;
    else if (codePoint <= 0xffff) quoted += `\\u${hex(codePoint, 4)}`;
    else quoted += `\\U${hex(codePoint, 8)}`;
  }
  return quoted + quote;
}

/** Python's ordering of two str: by code point, so "\uff01" < "😀" as in Python. */
export function compareStrings(left: string, right: string): number {
  const leftCharacters = left[Symbol.iterator]();
  const rightCharacters = right[Symbol.iterator]();
  for (;;) {
    const leftNext = leftCharacters.next();
    const rightNext = rightCharacters.next();
    if (leftNext.done) return rightNext.done ? 0 : -1;
    if (rightNext.done) return 1;
    const leftCode = leftNext.value.codePointAt(0) as number;
    const rightCode = rightNext.value.codePointAt(0) as number;
    if (leftCode !== rightCode) return leftCode < rightCode ? -1 : 1;
  }
}

export function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}
