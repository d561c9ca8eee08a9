// Small hand-made charts: an SVG bar (plain or stacked) that fills its cell. The numbers are
// always written next to them as text, so the SVG itself is decoration for the eye only.
import { stackSegments } from "./logic";

/** One bar, `fraction` (0..1) of the track long. */
export function Bar({ fraction, tone }: { fraction: number; tone: string }) {
  return (
    <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
      <rect class="bar-track" x="0" y="0" width="100" height="10" rx="2" />
      {fraction > 0 ? <rect class={`bar-fill tone-${tone}`} x="0" y="0" width={fraction * 100} height="10" rx="2" /> : null}
    </svg>
  );
}

/** Segments end to end, each `values[i]` long, out of `total` (default: their sum). */
export function StackedBar({ values, tones, total }: { values: number[]; tones: string[]; total?: number }) {
  const segments = stackSegments(values, total);
  return (
    <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
      <rect class="bar-track" x="0" y="0" width="100" height="10" rx="2" />
      {segments.map((segment, index) =>
        segment.length > 0 ? (
          <rect
            key={index}
            class={`bar-fill tone-${tones[index]}`}
            x={segment.start * 100}
            y="0"
            width={segment.length * 100}
            height="10"
          />
        ) : null,
      )}
    </svg>
  );
}

/** A colour key for a chart: a swatch and its label. */
export function Legend({ items }: { items: Array<{ tone: string; label: string }> }) {
  return (
    <ul class="legend">
      {items.map((item) => (
        <li key={item.tone}>
          <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true" focusable="false">
            <rect class={`bar-fill tone-${item.tone}`} width="10" height="10" rx="2" />
          </svg>
          {item.label}
        </li>
      ))}
    </ul>
  );
}
