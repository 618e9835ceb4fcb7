// Reading the plugin configuration in on_configure, for either root: the buffer, then
// validation; a refusal is logged once, naming the field, and the root returns false.
import { getBufferBytes, log, returned } from '../abi/hostcalls';
import { BufferType, LogLevel, WasmResult } from '../abi/types';
import { Config } from './config';
import { parseConfig } from './parse';

export function loadConfig(configSize: u32): Config | null {
  let text = '';
  if (configSize > 0) {
    if (getBufferBytes(BufferType.PluginConfiguration, 0, configSize) != WasmResult.Ok) {
      log(LogLevel.Error, 'earmark: cannot read the plugin configuration');
      return null;
    }
    text = String.UTF8.decodeUnsafe(returned.ptr, returned.len);
  }
  const parsed = parseConfig(text);
  if (parsed.config === null) {
    refuse(parsed.error);
    return null;
  }
  return parsed.config;
}

export function refuse(reason: string): void {
  log(LogLevel.Error, 'earmark: invalid plugin configuration: ' + reason);
}
