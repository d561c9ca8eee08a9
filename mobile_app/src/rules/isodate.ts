// Which texts the server accepts as a date answer: a port of CPython 3.11's C
// `date.fromisoformat`, which `checklists.scoring.check_answer` uses. It is more lenient than the
// "YYYY-MM-DD" its message names: it also takes 20250701, ISO week dates (2025-W27-3, 2025W273,
// 2025-W27) and, because it never checks that the whole text was read, anything after a complete
// 8-character basic date in a text of 10 bytes ("20250701xy"). Lengths are counted in UTF-8 bytes,
// as the C code does. The phone must accept exactly what the server accepts, quirks included.

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const HYPHEN = 0x2d;
const LETTER_W = 0x57;

function hasLoneSurrogate(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xdc00 && unit <= 0xdfff) return true;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      index += 1;
    }
  }
  return false;
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month];
}

/** Day number of a date, 0001-01-01 being day 1 (year ≥ 1). */
function toOrdinal(year: number, month: number, day: number): number {
  const y = year - 1;
  const daysBeforeYear = y * 365 + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400);
  const daysBeforeMonth = DAYS_BEFORE_MONTH[month] + (month > 2 && isLeap(year) ? 1 : 0);
  return daysBeforeYear + daysBeforeMonth + day;
}

function fromOrdinal(ordinal: number): CalendarDate {
  let n = ordinal - 1;
  const n400 = Math.floor(n / 146097);
  n %= 146097;
  const n100 = Math.floor(n / 36524);
  n %= 36524;
  const n4 = Math.floor(n / 1461);
  n %= 1461;
  const n1 = Math.floor(n / 365);
  n %= 365;
  const year = n400 * 400 + 1 + n100 * 100 + n4 * 4 + n1;
  if (n1 === 4 || n100 === 4) return { year: year - 1, month: 12, day: 31 };
  let month = 1;
  while (month < 12 && toOrdinal(year, month + 1, 1) - toOrdinal(year, 1, 1) <= n) month += 1;
  return { year, month, day: n - (toOrdinal(year, month, 1) - toOrdinal(year, 1, 1)) + 1 };
}

function isValid({ year, month, day }: CalendarDate): boolean {
  return (
    year >= 1 &&
    year <= 9999 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

function fromIsoWeek(year: number, week: number, weekday: number): CalendarDate | null {
  // Year 0 has no valid week date (the C code reads outside its tables there and fails).
  if (year < 1) return null;
  const firstDay = toOrdinal(year, 1, 1);
  const firstWeekday = (firstDay + 6) % 7; // 0 = Monday
  if (week <= 0 || week >= 53) {
    const longYear = firstWeekday === 3 || (firstWeekday === 2 && isLeap(year));
    if (week !== 53 || !longYear) return null;
  }
  if (weekday <= 0 || weekday >= 8) return null;
  const week1Monday = firstDay - firstWeekday + (firstWeekday > 3 ? 7 : 0);
  return fromOrdinal(week1Monday + (week - 1) * 7 + weekday - 1);
}

/** The date Python's `date.fromisoformat(text)` reads, or null where it raises ValueError. */
export function parseIsoDate(text: string): CalendarDate | null {
  if (hasLoneSurrogate(text)) return null; // not encodable as UTF-8: Python fails too
  const bytes = new TextEncoder().encode(text);
  const length = bytes.length;
  if (length !== 7 && length !== 8 && length !== 10) return null;
  let position = 0;
  // The C code reads a NUL-terminated buffer: past the end it sees 0, which is not a digit.
  const byteAt = (index: number): number => (index < length ? bytes[index] : 0);
  const digits = (count: number): number | null => {
    let value = 0;
    for (let index = 0; index < count; index += 1) {
      const digit = byteAt(position) - 0x30;
      position += 1;
      if (digit < 0 || digit > 9) return null;
      value = value * 10 + digit;
    }
    return value;
  };

  const year = digits(4);
  if (year === null) return null;
  const usesSeparator = byteAt(position) === HYPHEN;
  if (usesSeparator) position += 1;

  if (byteAt(position) === LETTER_W) {
    position += 1;
    const week = digits(2);
    if (week === null) return null;
    let weekday = 1;
    if (position < length) {
      if (usesSeparator) {
        if (byteAt(position) !== HYPHEN) return null;
        position += 1;
      }
      const day = digits(1);
      if (day === null) return null;
      weekday = day;
    }
    const date = fromIsoWeek(year, week, weekday);
    return date !== null && isValid(date) ? date : null;
  }

  const month = digits(2);
  if (month === null) return null;
  if (usesSeparator) {
    if (byteAt(position) !== HYPHEN) return null;
    position += 1;
  }
  const day = digits(2);
  if (day === null) return null;
  const date = { year, month, day };
  return isValid(date) ? date : null;
}
