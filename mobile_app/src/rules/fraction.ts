// Exact rational numbers, as Python's fractions.Fraction: scores are summed exactly and rounded
// once at the end, so 66.665 rounds to 66.67 here exactly as on the server (binary floats would
// hold 66.66499999… and round down).

function gcd(left: bigint, right: bigint): bigint {
  let a = left < 0n ? -left : left;
  let b = right < 0n ? -right : right;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/** The nearest double to numerator / denominator (denominator > 0), as Python's int / int. */
function divideToNumber(numerator: bigint, denominator: bigint): number {
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let quotient: number;
  if (magnitude <= MAX_SAFE && denominator <= MAX_SAFE) {
    quotient = Number(magnitude) / Number(denominator); // one correctly rounded division
  } else {
    // Keep 55+ bits of the quotient and a sticky bit, so that Number() rounds it correctly.
    const shift = bitLength(magnitude) - bitLength(denominator) - 55;
    const dividend = shift >= 0 ? magnitude : magnitude << BigInt(-shift);
    const divisor = shift >= 0 ? denominator << BigInt(shift) : denominator;
    let bits = dividend / divisor;
    if (dividend % divisor !== 0n) bits |= 1n;
    quotient = Number(bits) * 2 ** shift;
  }
  return negative ? -quotient : quotient;
}

export class Fraction {
  static readonly ZERO = new Fraction(0n, 1n);
  static readonly ONE = new Fraction(1n, 1n);

  /** Always in lowest terms, with a positive denominator. */
  readonly numerator: bigint;
  readonly denominator: bigint;

  private constructor(numerator: bigint, denominator: bigint) {
    this.numerator = numerator;
    this.denominator = denominator;
  }

  static of(numerator: bigint | number, denominator: bigint | number = 1n): Fraction {
    let top = BigInt(numerator);
    let bottom = BigInt(denominator);
    if (bottom === 0n) throw new RangeError("Fraction(…, 0)");
    if (bottom < 0n) [top, bottom] = [-top, -bottom];
    const divisor = gcd(top, bottom) || 1n;
    return new Fraction(top / divisor, bottom / divisor);
  }

  /**
   * A number from the checklist as the exact decimal it is written as: 0.1 is one tenth, not the
   * binary double nearest to it (Python's `Fraction(str(number))`). JavaScript and Python both
   * print a double as the shortest decimal that reads back to it, so both get the same fraction.
   */
  static exact(value: number): Fraction {
    const match = DECIMAL.exec(String(value));
    if (match === null) throw new RangeError(`not a finite number: ${value}`);
    const [, sign, whole, decimals = "", exponentText = "0"] = match;
    const exponent = Number(exponentText) - decimals.length;
    const digits = BigInt(`${sign}${whole}${decimals}`);
    return exponent >= 0
      ? Fraction.of(digits * 10n ** BigInt(exponent))
      : Fraction.of(digits, 10n ** BigInt(-exponent));
  }

  add(other: Fraction): Fraction {
    return Fraction.of(
      this.numerator * other.denominator + other.numerator * this.denominator,
      this.denominator * other.denominator,
    );
  }

  sub(other: Fraction): Fraction {
    return this.add(new Fraction(-other.numerator, other.denominator));
  }

  mul(other: Fraction): Fraction {
    return Fraction.of(this.numerator * other.numerator, this.denominator * other.denominator);
  }

  div(other: Fraction): Fraction {
    return Fraction.of(this.numerator * other.denominator, this.denominator * other.numerator);
  }

  compare(other: Fraction): number {
    const difference = this.numerator * other.denominator - other.numerator * this.denominator;
    return difference < 0n ? -1 : difference > 0n ? 1 : 0;
  }

  isZero(): boolean {
    return this.numerator === 0n;
  }

  /** The largest integer not above this number (Python's math.floor). */
  floor(): bigint {
    const quotient = this.numerator / this.denominator; // truncates toward zero
    return this.numerator < 0n && quotient * this.denominator !== this.numerator
      ? quotient - 1n
      : quotient;
  }

  /** The nearest double (Python's float(Fraction)). */
  toNumber(): number {
    return divideToNumber(this.numerator, this.denominator);
  }
}

/** Clamp to [0, 1]. */
export function clampUnit(fraction: Fraction): Fraction {
  if (fraction.compare(Fraction.ZERO) < 0) return Fraction.ZERO;
  if (fraction.compare(Fraction.ONE) > 0) return Fraction.ONE;
  return fraction;
}

const HUNDRED = Fraction.of(100n);
const HALF = Fraction.of(1n, 2n);

/** Round a non-negative exact number to 2 decimals, halves up (66.665 → 66.67). */
export function roundHalfUp(number: Fraction): number {
  return Fraction.of(number.mul(HUNDRED).add(HALF).floor(), 100n).toNumber();
}
