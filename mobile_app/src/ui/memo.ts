import { createElement, type Component, type FunctionComponent } from "preact";

function propsDiffer(before: Record<string, unknown>, next: Record<string, unknown>): boolean {
  for (const key in before) if (!(key in next)) return true;
  for (const key in next) if (before[key] !== next[key]) return true;
  return false;
}

/** A component that renders again only when a prop is another object or value than at its last
 * render (or its own state changes). preact/compat's `memo` does the same, but importing compat
 * would also turn every input's onChange into onInput (React's meaning), which the answer fields
 * rely on not happening: they save on change, not on each keystroke. */
export function memo<P extends object>(render: FunctionComponent<P>): FunctionComponent<P> {
  function Memoised(this: Component<P>, props: P) {
    this.shouldComponentUpdate = (next: P) =>
      propsDiffer(this.props as Record<string, unknown>, next as Record<string, unknown>);
    return createElement(render, props);
  }
  Memoised.displayName = `Memo(${render.displayName ?? render.name})`;
  return Memoised;
}
