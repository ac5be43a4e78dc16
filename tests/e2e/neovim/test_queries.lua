-- The tree-sitter queries shipped in editors/neovim/queries/kickstart, loaded
-- by Neovim's own tree-sitter with a parser built from grammar/ ($KSLINT_PARSER):
-- they compile, and they capture what they should (highlights, folds, and the
-- bash/python choice of injections.scm, whose predicate is rewritten for
-- Neovim by editors/neovim/scripts/sync-queries.sh).
local repo = assert(os.getenv('KSLINT_REPO'))
local parser_path = assert(os.getenv('KSLINT_PARSER'))
vim.opt.runtimepath:prepend(repo .. '/editors/neovim')

local out = io.stdout
local passed, failed, number = 0, 0, 0
local function test(name, fn)
  number = number + 1
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    out:write(('ok %d - %s\n'):format(number, name))
  else
    failed = failed + 1
    out:write(('not ok %d - %s\n#   %s\n'):format(number, name, tostring(err):gsub('\n', '\n#   ')))
  end
end

if vim.treesitter.language.add then -- 0.9+
  vim.treesitter.language.add('kickstart', { path = parser_path })
else
  vim.treesitter.require_language('kickstart', parser_path)
end
local get_query = (vim.treesitter.query and vim.treesitter.query.get) or vim.treesitter.get_query

local text = table.concat({
  '# comment',
  'network --bootproto=dhcp',
  '%packages',
  '@core',
  '%end',
  '%post --interpreter=/usr/bin/python3',
  'print(1)',
  '%end',
  '%post --interpreter /usr/libexec/platform-python',
  'print(2)',
  '%end',
  '%post --log=/root/post.log',
  'echo hi',
  '%end',
  '',
}, '\n')
local bufnr = vim.api.nvim_create_buf(false, true)
vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(text, '\n'))
local tree = vim.treesitter.get_parser(bufnr, 'kickstart'):parse()[1]

-- capture name -> list of "line:text" for every capture of the query.
local function captures(name)
  local query = assert(get_query('kickstart', name), name .. ' query not found on the runtimepath')
  local found = {}
  for id, node, metadata in query:iter_captures(tree:root(), bufnr, 0, -1) do
    local capture = query.captures[id]
    local row = node:range()
    local node_text = vim.treesitter.get_node_text and vim.treesitter.get_node_text(node, bufnr)
      or vim.treesitter.query.get_node_text(node, bufnr)
    found[capture] = found[capture] or {}
    table.insert(found[capture], { row = row, text = node_text, metadata = metadata })
  end
  return found
end

local function has(list, row, text)
  for _, item in ipairs(list or {}) do
    if item.row == row and (text == nil or item.text == text) then
      return true
    end
  end
  return false
end

test('highlights.scm compiles and captures commands, options, sections, comments', function()
  local found = captures('highlights')
  assert(has(found['comment'], 0, '# comment'), 'comment')
  assert(has(found['function'], 1, 'network'), 'command name')
  assert(has(found['property'], 1, '--bootproto'), 'option name')
  assert(has(found['keyword'], 2, '%packages'), 'section name')
  assert(has(found['type'], 3, 'core'), 'group name')
end)

test('folds.scm compiles and folds sections', function()
  local found = captures('folds')
  assert(has(found['fold'], 2), 'the %packages section folds')
  assert(has(found['fold'], 11), 'the %post section folds')
end)

test('injections.scm: python for --interpreter=...python, bash otherwise', function()
  local found = captures('injections')
  local language = {}
  for _, item in ipairs(found['_header'] or {}) do
    language[item.row] = item.metadata['injection.language']
      or (item.metadata[1] and item.metadata[1]['injection.language'])
  end
  assert(language[5] == 'python', '--interpreter=/usr/bin/python3: ' .. tostring(language[5]))
  assert(language[8] == 'python', '--interpreter /usr/libexec/platform-python: ' .. tostring(language[8]))
  assert(language[11] == 'bash', '%post --log: ' .. tostring(language[11]))
  assert(has(found['injection.content'], 12), 'the script body is the injected content')
end)

out:write(('# %d passed, %d failed\n'):format(passed, failed))
out:flush()
vim.cmd(failed > 0 and ('cquit ' .. failed) or 'qall!')
