import { createApp } from 'vue';
import App from './App.vue';

window.appBootedAt = window.appBootedAt || Date.now();
createApp(App).mount('#app');
