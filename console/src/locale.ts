// The browser's language, as Intl takes it. Chromium reports `en-US@posix` where LANG is unset, a tag Intl refuses
// (RangeError): a library that formats with navigator.language when it loads (uPlot does) would throw, and the
// console would never leave "Loading the console…". Imported before anything else, this puts en-US in its place.
function supported(tag: string): boolean {
  try {
    return Intl.NumberFormat.supportedLocalesOf([tag]).length > 0;
  } catch {
    return false;
  }
}

/** The locale the console formats with: the browser's own, or en-US where Intl refuses it. */
export const LOCALE = supported(navigator.language) ? navigator.language : 'en-US';

if (LOCALE !== navigator.language) {
  Object.defineProperty(navigator, 'language', { value: LOCALE, configurable: true });
  Object.defineProperty(navigator, 'languages', { value: [LOCALE], configurable: true });
}
