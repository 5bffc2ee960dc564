/**
 * The study page's route group: the same signed-in layout as the other pages (app/(app)/layout.tsx),
 * but outside app/(app)/loading.tsx's boundary. Under that boundary the page's content streamed
 * after a "Loading" shell and was swapped in by a script, which waits for the stylesheets; here the
 * first HTML carries the viewer's first image itself (docs/viewer.md, "First image").
 */
import AppLayout from '../(app)/layout';

export const dynamic = 'force-dynamic';

export default AppLayout;
