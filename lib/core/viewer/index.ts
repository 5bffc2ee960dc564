/** lib/core/viewer: pure slice geometry, windowing and overlay compositing for the study viewer. */
export * from './slice-geometry';
export * from './window-lut';
export * from './render-slice';
export * from './cursor';
export * from './mask-centroid';
export * from './view-transform';
export * from './dose-slice';
