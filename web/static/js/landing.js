// The landing page only needs its words in the reader's language.
import { translatePage } from './i18n.js';

translatePage();
