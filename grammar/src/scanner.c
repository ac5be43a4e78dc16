/*
 * External scanner for the kickstart grammar.
 *
 * Tokens:
 *   RAW_BODY  - all lines of a raw section body (scripts, %addon, %anaconda,
 *               %certificate, unknown sections), verbatim and including their
 *               line breaks.  The body stops before the first line whose first
 *               whitespace-separated word is "%end" or one of the registered
 *               section keywords (that line ends the section or opens the next
 *               one), or at the end of the input.  An empty body is not a
 *               token.
 *   EOF       - zero-width "end of line" at the end of the input, so that the
 *               last line does not need a line break.
 *   ERROR_SENTINEL - never used by the grammar; when it is reported valid the
 *               parser is recovering from an error and this scanner stays out
 *               of the way.
 *
 * The scanner keeps no state.
 */

#include "tree_sitter/parser.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum TokenType {
  RAW_BODY,
  EOF_TOKEN,
  ERROR_SENTINEL,
};

/* Words that terminate a raw body when they are the first word of a line. */
static const char *const TERMINATORS[] = {
    "%end",     "%packages", "%pre",      "%pre-install", "%post",
    "%onerror", "%traceback", "%addon",   "%anaconda",    "%certificate",
};

#define WORD_BUFFER 16

void *tree_sitter_kickstart_external_scanner_create(void) { return NULL; }

void tree_sitter_kickstart_external_scanner_destroy(void *payload) { (void)payload; }

unsigned tree_sitter_kickstart_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}

void tree_sitter_kickstart_external_scanner_deserialize(void *payload, const char *buffer,
                                                         unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

/* Whitespace as Python's str.split() sees it (ASCII part). */
static bool is_split_space(int32_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static bool is_terminator(const char *word, unsigned len) {
  for (size_t i = 0; i < sizeof(TERMINATORS) / sizeof(TERMINATORS[0]); i++) {
    if (strlen(TERMINATORS[i]) == len && memcmp(TERMINATORS[i], word, len) == 0) {
      return true;
    }
  }
  return false;
}

/*
 * Consume the line at the current position if it belongs to a raw body.
 * Returns false (having possibly advanced past the point that was marked as
 * the token end) when the line terminates the body.
 */
static bool consume_body_line(TSLexer *lexer) {
  /* leading blanks */
  while (!lexer->eof(lexer) &&
         (lexer->lookahead == ' ' || lexer->lookahead == '\t' || lexer->lookahead == '\f' ||
          lexer->lookahead == '\v')) {
    lexer->advance(lexer, false);
  }

  /* first word */
  if (lexer->lookahead == '%') {
    char word[WORD_BUFFER];
    unsigned len = 0;
    bool too_long = false;
    while (!lexer->eof(lexer) && !is_split_space(lexer->lookahead)) {
      if (len < WORD_BUFFER && lexer->lookahead > 0 && lexer->lookahead < 128) {
        word[len++] = (char)lexer->lookahead;
      } else {
        too_long = true;
      }
      lexer->advance(lexer, false);
    }
    if (!too_long && is_terminator(word, len)) {
      return false;
    }
  }

  /* rest of the line, including the line break */
  while (!lexer->eof(lexer)) {
    int32_t c = lexer->lookahead;
    lexer->advance(lexer, false);
    if (c == '\n') {
      break;
    }
  }
  return true;
}

bool tree_sitter_kickstart_external_scanner_scan(void *payload, TSLexer *lexer,
                                                 const bool *valid_symbols) {
  (void)payload;

  if (valid_symbols[ERROR_SENTINEL]) {
    return false;
  }

  if (valid_symbols[RAW_BODY]) {
    bool any = false;
    while (!lexer->eof(lexer)) {
      if (!consume_body_line(lexer)) {
        break;
      }
      lexer->mark_end(lexer);
      any = true;
    }
    if (any) {
      lexer->result_symbol = RAW_BODY;
      return true;
    }
    return false;
  }

  if (valid_symbols[EOF_TOKEN]) {
    while (lexer->lookahead == ' ' || lexer->lookahead == '\t' || lexer->lookahead == '\r') {
      lexer->advance(lexer, true);
    }
    if (lexer->eof(lexer)) {
      lexer->result_symbol = EOF_TOKEN;
      return true;
    }
  }

  return false;
}
