; Generated from grammar/queries/highlights.scm by editors/neovim/scripts/sync-queries.sh.
; Edit the original and run the script again.

; Kickstart highlighting.
;
; The patterns do not overlap (no node gets two captures), so the result is
; the same whether an editor lets the first or the last matching pattern win.

(comment) @comment

; ------------------------------------------------------------------ commands

(command
  name: (command_name) @function)

(option
  name: (option_name) @property)

(option
  "=" @operator)

(command
  (word) @variable.parameter)

(option
  value: (word) @variable.parameter)

(string) @string

; ------------------------------------------------------------------ includes

[
  "%include"
  "%ksappend"
] @keyword

(include
  path: (word) @string.special)

(ksappend
  path: (word) @string.special)

; ------------------------------------------------------------------ sections

(section_header
  name: (section_name) @keyword)

(section_header
  (word) @variable.parameter)

(section_end
  "%end" @keyword)

; pykickstart ignores anything after %end
(section_end
  (word) @comment)

(section_end
  (option) @comment)

; ------------------------------------------------------------------ %packages

(package
  name: (package_name) @string.special)

(excluded_package
  "-" @operator
  name: (package_name) @string.special)

(group
  "@" @punctuation.special
  name: (group_name) @type)

(environment
  "@^" @punctuation.special
  name: (group_name) @constant)

(excluded_group
  [
    "-@"
    "-@^"
  ] @operator
  name: (group_name) @type)

(module
  "@" @punctuation.special
  name: (module_name) @module
  ":" @punctuation.delimiter
  stream: (module_stream) @constant)

(module
  "/" @punctuation.delimiter
  profile: (module_profile) @attribute)
