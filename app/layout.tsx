import type { Metadata } from 'next';
import './globals.css';

export const metadata: Metadata = {
  title: 'iSeg QA',
  description: 'Contour QA and outcomes analytics for automated lung-tumour segmentation',
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
