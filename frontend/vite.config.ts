import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The built page is plain static files (dist/): the gateway's STATIC_DIR
// listener serves them at :8181 in the local stack (`npm run preview` can
// too); `npm run dev` serves the sources on Vite's own port, 5173.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 1000 },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
