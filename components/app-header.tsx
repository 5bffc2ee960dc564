'use client';
/**
 * The app's header: brand, the links the role may follow, who is signed in, and sign-out.
 * Wide screens show it all in a row (the links wrap); below 960 px (phones, tablets) the links,
 * the user and Sign out collapse behind a "Menu" button: aria-expanded and aria-controls say
 * whether the menu is open; Escape closes it and returns focus to the button; following a link
 * or clicking outside closes it too.
 */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { SignOutButton } from './sign-out-button';

export function AppHeader({ links, who }: { links: { href: string; label: string }[]; who: string }) {
  const [open, setOpen] = useState(false);
  const pathname = usePathname();
  const headerRef = useRef<HTMLElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    const onPointer = (e: PointerEvent) => {
      if (headerRef.current && !headerRef.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [open]);

  const current = (href: string) => (href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`));

  return (
    <header className="top" ref={headerRef} data-menu-open={open ? 'true' : 'false'}>
      <Link className="brand" href="/">
        iSeg QA
      </Link>
      <button ref={buttonRef} type="button" className="nav-toggle" aria-expanded={open} aria-controls="app-menu" onClick={() => setOpen((o) => !o)}>
        <span aria-hidden="true" className="nav-toggle-icon">
          {open ? '✕' : '☰'}
        </span>
        Menu
      </button>
      <div id="app-menu" className="nav-panel">
        {/* Only links the role may follow: a forbidden link would also be prefetched into a 403. */}
        <nav aria-label="Main" className="nav-links" onClick={(e) => (e.target as HTMLElement).closest('a') && setOpen(false)}>
          {links.map((l) => (
            <Link key={l.href} href={l.href} aria-current={current(l.href) ? 'page' : undefined}>
              {l.label}
            </Link>
          ))}
        </nav>
        <div className="nav-user">
          <span data-testid="who">{who}</span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
