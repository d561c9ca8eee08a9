import type { ComponentChildren } from "preact";
import { BASE, navigate } from "./router";

/** An in-app link: a real <a href> (screen readers, long-press) that routes without a reload. */
export function Link({ to, children, class: className }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      class={className}
      href={`${BASE}${to}`}
      onClick={(event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
