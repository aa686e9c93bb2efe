import { mount } from 'svelte';
import './app.css';
// Managers apply the stored language and theme to <html> as soon as they load.
import '$lib/managers/i18n-manager.svelte';
import '$lib/managers/theme-manager.svelte';
import { systemManager } from '$lib/managers/system-manager.svelte';
import { initSession } from '$lib/services/session.service';
import App from './App.svelte';

void initSession();
void systemManager.load();

const target = document.getElementById('app');
if (!target) throw new Error('The #app element is missing from index.html');

export default mount(App, { target });
