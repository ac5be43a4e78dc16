/**
 * @file Kickstart (Anaconda installer configuration) grammar for tree-sitter.
 * @license MIT
 *
 * Kickstart is line oriented: every physical line is classified on its own
 * (pykickstart reads the file line by line and splits command lines with
 * Python's shlex in POSIX mode).  The grammar therefore treats the newline as
 * a real token and only spaces, tabs and carriage returns as extras.
 *
 * Raw section bodies (%pre/%post/... scripts, %addon, %anaconda,
 * %certificate and unknown sections) are produced by the external scanner
 * in src/scanner.c, which also emits a zero-width end-of-line token at the
 * end of the input so that the last line does not need a trailing newline.
 */

/* eslint-disable arrow-parens, camelcase */

// An escape outside quotes.  A lone backslash right before the line break
// (or at the end of the file) is accepted as well: shlex turns it into an
// argument of its own and does NOT continue the line.
const ESC = String.raw`\\[^\r\n]?`;
// One unquoted character of a word.
const UNQ = String.raw`[^ \t\r\n"'\\]`;
const DQ = String.raw`"([^"\\\n]|\\[^\n])*"`;
const SQ = String.raw`'[^'\n]*'`;

const rx = (source) => new RegExp(source);

const SCRIPT_KEYWORDS = ['%pre', '%pre-install', '%post', '%onerror', '%traceback'];

export default grammar({
  name: 'kickstart',

  extras: _ => [/[ \t\r]/],

  externals: $ => [
    $._raw_body,
    $._eof,
    $._error_sentinel,
  ],

  rules: {
    // Items on the top level.  A section that is not closed by %end can only
    // be followed by another section or by the end of the file (in pykickstart
    // the next section keyword is what terminates it), which keeps commands
    // and package lines apart.
    source_file: $ => seq(
      optional($.bom),
      repeat($._item),
      optional($._open_sections),
    ),

    bom: _ => '\uFEFF',

    _item: $ => choice(
      $._nl,
      seq($.comment, $._eol),
      seq($.command, $._eol),
      seq($.include, $._eol),
      seq($.ksappend, $._eol),
      // a %end without an open section
      seq($.section_end, $._eol),
      seq($._closed_section, $._eol),
      seq($._open_sections, $._closed_section, $._eol),
    ),

    _eol: $ => choice($._nl, $._eof),
    _nl: _ => '\n',

    comment: _ => token(/#[^\r\n]*(\r+[^\r\n]+)*/),

    // ---------------------------------------------------------------- commands

    command: $ => seq(
      field('name', $.command_name),
      repeat($._argument),
      optional($.comment),
    ),

    // Any shell-like word at the start of a line that does not begin with
    // '%' or '#'.  A byte order mark is not part of it (see `bom`).
    command_name: _ => token(rx(
      `([^ \\t\\r\\n"'\\\\#%\\uFEFF]|${ESC}|${DQ}|${SQ})(${UNQ}|${ESC}|${DQ}|${SQ})*`,
    )),

    _argument: $ => choice($.option, $.word),

    option: $ => seq(
      field('name', $.option_name),
      optional(seq(
        token.immediate(prec(2, '=')),
        optional(field('value', alias($._value_word, $.word))),
      )),
    ),

    option_name: _ => token(/--[^ \t\r\n="'\\]*/),

    // A word never starts with "--" (that is an option) nor with '#' (that
    // starts a comment); later parts may contain both.
    word: $ => seq(
      choice($._word_start, $.string),
      repeat($._word_part),
    ),

    _value_word: $ => repeat1($._word_part),

    _word_part: $ => choice(
      $._word_continuation,
      alias($._immediate_string, $.string),
    ),

    _word_start: _ => token(rx(
      `([^ \\t\\r\\n"'\\\\#\\-]|${ESC})(${UNQ}|${ESC})*` +
      `|-([^ \\t\\r\\n"'\\\\\\-]|${ESC})(${UNQ}|${ESC})*` +
      `|-`,
    )),

    _word_continuation: _ => token.immediate(prec(1, rx(`(${UNQ}|${ESC})+`))),

    string: $ => choice(
      seq('"', optional($._dq_content), token.immediate('"')),
      seq('\'', optional($._sq_content), token.immediate('\'')),
    ),

    _immediate_string: $ => choice(
      seq(token.immediate(prec(1, '"')), optional($._dq_content), token.immediate('"')),
      seq(token.immediate(prec(1, '\'')), optional($._sq_content), token.immediate('\'')),
    ),

    _dq_content: _ => token.immediate(prec(1, /([^"\\\n]|\\[^\n])+/)),
    _sq_content: _ => token.immediate(prec(1, /[^'\n]+/)),

    // ---------------------------------------------------------------- includes

    include: $ => seq(
      '%include',
      optional(seq(field('path', $.word), repeat($._argument))),
      optional($.comment),
    ),

    ksappend: $ => seq(
      '%ksappend',
      optional(seq(field('path', $.word), repeat($._argument))),
      optional($.comment),
    ),

    // ---------------------------------------------------------------- sections

    _closed_section: $ => choice(
      $.packages_section,
      $.script_section,
      $.addon_section,
      $.anaconda_section,
      $.certificate_section,
      $.unknown_section,
    ),

    _open_sections: $ => repeat1(choice(
      alias($._packages_start, $.packages_section),
      alias($._script_start, $.script_section),
      alias($._addon_start, $.addon_section),
      alias($._anaconda_start, $.anaconda_section),
      alias($._certificate_start, $.certificate_section),
      alias($._unknown_start, $.unknown_section),
    )),

    section_end: $ => seq(
      '%end',
      repeat($._argument),
      optional($.comment),
    ),

    // %packages
    packages_section: $ => seq($._packages_start, field('end', $.section_end)),
    _packages_start: $ => seq(
      field('header', alias($._packages_header, $.section_header)),
      $._eol,
      optional(field('body', $.packages_body)),
    ),
    _packages_header: $ => seq(
      field('name', alias('%packages', $.section_name)),
      repeat($._argument),
      optional($.comment),
    ),

    packages_body: $ => repeat1(choice(
      $._nl,
      seq($.comment, $._eol),
      seq($.include, $._eol),
      seq($.ksappend, $._eol),
      seq($._package_entry, optional($.comment), $._eol),
    )),

    _package_entry: $ => choice(
      $.package,
      $.excluded_package,
      $.group,
      $.environment,
      $.excluded_group,
      $.module,
    ),

    package: $ => field('name', $.package_name),

    excluded_package: $ => seq('-', field('name', $.package_name)),

    group: $ => seq(
      '@',
      field('name', $.group_name),
      repeat($.option),
    ),

    environment: $ => seq(
      '@^',
      field('name', $.group_name),
      repeat($.option),
    ),

    excluded_group: $ => seq(
      choice('-@', '-@^'),
      field('name', $.group_name),
    ),

    module: $ => seq(
      '@',
      field('name', alias($.group_name, $.module_name)),
      token.immediate(':'),
      field('stream', $.module_stream),
      optional(seq(
        token.immediate('/'),
        field('profile', $.module_profile),
      )),
    ),

    // Everything up to a comment or the end of the line (pykickstart keeps
    // inner blanks); the first character decides the entry kind.
    package_name: _ => token(/[^ \t\r\n#@%\-][^ \t\r\n#]*([ \t]+[^ \t\r\n#]+)*/),

    // Group names may contain blanks ("@X Window System"); a word starting
    // with '-' is an option.  ':' introduces a module stream.
    group_name: _ => token(/[^ \t\r\n#:\-][^ \t\r\n#:]*([ \t]+[^ \t\r\n#:\-][^ \t\r\n#:]*)*/),

    module_stream: _ => token.immediate(/[^ \t\r\n#\/]+/),
    module_profile: _ => token.immediate(/[^ \t\r\n#]+/),

    // %pre, %pre-install, %post, %onerror, %traceback
    script_section: $ => seq($._script_start, field('end', $.section_end)),
    _script_start: $ => seq(
      field('header', alias($._script_header, $.section_header)),
      $._eol,
      optional(field('body', alias($._raw_body, $.script_body))),
    ),
    _script_header: $ => seq(
      field('name', alias(choice(...SCRIPT_KEYWORDS), $.section_name)),
      repeat($._argument),
      optional($.comment),
    ),

    // %addon NAME [options]
    addon_section: $ => seq($._addon_start, field('end', $.section_end)),
    _addon_start: $ => seq(
      field('header', alias($._addon_header, $.section_header)),
      $._eol,
      optional(field('body', alias($._raw_body, $.raw_body))),
    ),
    _addon_header: $ => seq(
      field('name', alias('%addon', $.section_name)),
      repeat($._argument),
      optional($.comment),
    ),

    // %anaconda
    anaconda_section: $ => seq($._anaconda_start, field('end', $.section_end)),
    _anaconda_start: $ => seq(
      field('header', alias($._anaconda_header, $.section_header)),
      $._eol,
      optional(field('body', alias($._raw_body, $.raw_body))),
    ),
    _anaconda_header: $ => seq(
      field('name', alias('%anaconda', $.section_name)),
      repeat($._argument),
      optional($.comment),
    ),

    // %certificate --filename=... --dir=...
    certificate_section: $ => seq($._certificate_start, field('end', $.section_end)),
    _certificate_start: $ => seq(
      field('header', alias($._certificate_header, $.section_header)),
      $._eol,
      optional(field('body', alias($._raw_body, $.raw_body))),
    ),
    _certificate_header: $ => seq(
      field('name', alias('%certificate', $.section_name)),
      repeat($._argument),
      optional($.comment),
    ),

    // any other %word at the start of a line
    unknown_section: $ => seq($._unknown_start, field('end', $.section_end)),
    _unknown_start: $ => seq(
      field('header', alias($._unknown_header, $.section_header)),
      $._eol,
      optional(field('body', alias($._raw_body, $.raw_body))),
    ),
    _unknown_header: $ => seq(
      field('name', alias($._unknown_section_name, $.section_name)),
      repeat($._argument),
      optional($.comment),
    ),
    _unknown_section_name: _ => token(/%[^ \t\r\n]*/),
  },
});
