import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { createBackend } from './lib/backend/backend';
import { AppState } from './lib/state.svelte';

const target = document.getElementById('app')!;
createBackend().then(
  (backend) => mount(App, { target, props: { app: new AppState(backend) } }),
  (e: unknown) => {
    target.textContent = `RevLens could not start: ${e instanceof Error ? e.message : String(e)}`;
  },
);
