import { type HTMLAttributes, useEffect, useRef, useState } from 'react';

/**
 * A table's box that scrolls sideways when the table is wider than the
 * screen. Only then is it a keyboard stop (tabindex 0) and a named region,
 * so keyboard users can scroll it too, and a box that fits adds no stop.
 */
export function ScrollBox({ label, className = '', children, ...rest }: HTMLAttributes<HTMLDivElement> & { label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    check();
    const watch = new ResizeObserver(check);
    watch.observe(el);
    for (const child of el.children) watch.observe(child);
    // A box inside a closed <details> is not observed resizing: the window is.
    window.addEventListener('resize', check);
    return () => {
      watch.disconnect();
      window.removeEventListener('resize', check);
    };
  }, []);
  return (
    <div
      ref={box}
      className={`table-container ${className}`}
      tabIndex={scrolls ? 0 : undefined}
      role={scrolls ? 'region' : undefined}
      aria-label={scrolls ? `${label} (scrolls sideways)` : undefined}
      data-scrolls={scrolls}
      {...rest}
    >
      {children}
    </div>
  );
}
