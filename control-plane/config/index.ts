/** Settings of the control plane: one typed object with defaults and descriptions. See README.md. */
export type { Settings, SettingName, SettingDefinition } from './definitions';
export { SETTINGS, defaultSettings } from './definitions';
export type { LoadedSettings, SettingsSources, SettingProblem, SettingOrigin } from './load-settings';
export { loadSettings, SettingsError, redactedSettings, settingsHelp } from './load-settings';
export { parseDurationMs } from './parse-value';
