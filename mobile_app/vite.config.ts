import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

// The app lives under /app/ on the API's own origin: same-origin calls, no CORS, and the
// service worker's scope is the app alone (never /api or /mobile).
export default defineConfig({
  base: "/app/",
  build: {
    target: "es2021",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev` talks to `make run`'s server for the API.
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/mobile": "http://127.0.0.1:8000",
    },
  },
  plugins: [
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      injectRegister: false,
      registerType: "autoUpdate",
      includeAssets: ["icon.svg"],
      injectManifest: {
        // A classic worker: module service workers are not everywhere yet.
        rollupFormat: "iife",
        globPatterns: ["**/*.{js,css,html,svg,png,webmanifest}"],
      },
      manifest: {
        name: "Spotcheck — Kiểm tra đột xuất",
        short_name: "Spotcheck",
        description: "Kiểm tra đột xuất công vụ, kể cả khi không có mạng",
        lang: "vi",
        start_url: "/app/",
        scope: "/app/",
        display: "standalone",
        orientation: "portrait",
        background_color: "#ffffff",
        theme_color: "#0b4a8b",
        icons: [
          { src: "icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
    }),
  ],
});
