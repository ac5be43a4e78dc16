; Generated from grammar/queries/injections.scm by editors/neovim/scripts/sync-queries.sh.
; Edit the original and run the script again.

; Script sections (%pre, %pre-install, %post, %onerror, %traceback) are run
; by /bin/sh unless --interpreter says otherwise.  Both spellings of the
; option are handled through the header text:
;   %post --interpreter=/usr/bin/python3
;   %post --interpreter /usr/libexec/platform-python
; (argparse also accepts unique prefixes such as --interp, hence "--i...").

((script_section
  header: (section_header) @_header
  body: (script_body) @injection.content)
  (#lua-match? @_header "%-%-i%l*[=%s]%s*%S*python")
  (#set! injection.language "python"))

((script_section
  header: (section_header) @_header
  body: (script_body) @injection.content)
  (#not-lua-match? @_header "%-%-i%l*[=%s]%s*%S*python")
  (#set! injection.language "bash"))
