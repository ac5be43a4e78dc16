-- Headless Neovim end-to-end test of editors/neovim with `kslint lsp`.
-- Run by run.sh (`nvim --headless -u init.lua -c 'luafile test_plugin.lua'`)
-- in a copy of tests/e2e/fixtures/workspace ($KSLINT_WORKSPACE).
--
-- Everything goes through what a user does: :edit (filetype detection and the
-- plugin's autostart), buffer edits, vim.lsp.buf.hover/definition/code_action,
-- the plugin's commands. Prints one TAP line per check; exits with
-- :cquit <failures> (0 = all passed).

local kslint = require('kslint')
local workspace = assert(os.getenv('KSLINT_WORKSPACE'), 'KSLINT_WORKSPACE is not set')
local TIMEOUT = tonumber(os.getenv('KSLINT_E2E_TIMEOUT_MS') or '15000')

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
    out:write(('not ok %d - %s\n'):format(number, name))
    for line in tostring(err):gmatch('[^\n]+') do
      out:write('#   ' .. line .. '\n')
    end
  end
  out:flush()
end

-- `what` is a string, or a function giving one (called on timeout).
local function wait_for(what, condition)
  if not vim.wait(TIMEOUT, condition, 20) then
    error('timed out after ' .. TIMEOUT .. ' ms waiting for ' .. (type(what) == 'function' and what() or what), 2)
  end
end

local function expect(value, message)
  if not value then
    error(message, 2)
  end
  return value
end

local function read(path)
  local file = assert(io.open(path, 'r'))
  local text = file:read('*a')
  file:close()
  return text
end

local function write(path, text)
  local file = assert(io.open(path, 'w'))
  file:write(text)
  file:close()
end

local function path(name)
  return workspace .. '/' .. name
end

local function edit(name)
  vim.cmd('edit ' .. vim.fn.fnameescape(path(name)))
  return vim.api.nvim_get_current_buf()
end

-- The (1-based) number of the first line of `bufnr` that contains `needle`.
local function find_line(bufnr, needle)
  for index, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:find(needle, 1, true) then
      return index, line
    end
  end
  error(('%q is not in buffer %d'):format(needle, bufnr), 2)
end

local function put_cursor(bufnr, needle, delta)
  local number, line = find_line(bufnr, needle)
  vim.api.nvim_win_set_buf(0, bufnr)
  vim.api.nvim_win_set_cursor(0, { number, line:find(needle, 1, true) - 1 + (delta or 0) })
end

-- kslint's diagnostics of a buffer from the foundation rules (KS00xx; rules
-- in other ranges are still being added), as "CODE@line" (1-based lines).
local function codes(bufnr)
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = diagnostic.user_data and diagnostic.user_data.lsp or {}
    local code = tostring(diagnostic.code or lsp.code)
    if diagnostic.source == 'kslint' and code:match('^KS00%d%d$') then
      table.insert(found, ('%s@%d'):format(code, diagnostic.lnum + 1))
    end
  end
  table.sort(found)
  return table.concat(found, ' ')
end

-- How many times the diagnostics of each buffer were set.
local changes = {}
vim.api.nvim_create_autocmd('DiagnosticChanged', {
  callback = function(args)
    changes[args.buf] = (changes[args.buf] or 0) + 1
  end,
})

-- Waits for a new publish on `bufnr` (after `since` changes) that gives `expected`.
local function wait_codes(bufnr, expected, since)
  wait_for(function()
    return ('diagnostics %q (have %q)'):format(expected, codes(bufnr))
  end, function()
    return (changes[bufnr] or 0) > (since or -1) and codes(bufnr) == expected
  end)
end

local function attached(bufnr)
  wait_for('kslint to attach to buffer ' .. bufnr, function()
    return #kslint.clients(bufnr) > 0
  end)
  return kslint.clients(bufnr)[1]
end

local function floating_text()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
      return table.concat(lines, '\n'), win
    end
  end
  return nil
end

-- Captured vim.notify messages (the plugin's commands report through it).
local notes = {}
vim.notify = function(message, level)
  table.insert(notes, { message = message, level = level })
end

-- ------------------------------------------------------------------ tests

local clean = read(path('ks.cfg'))
-- The kickstart with one mistake: `%pakages`, a section that does not exist.
write(path('ks.cfg'), (clean:gsub('%%packages\n', '%%pakages\n', 1)))
write(path('anaconda-ks.cfg'), 'lang C\n')
write(path('web-ks.cfg'), 'lang C\n')
write(path('isolinux.cfg'), 'default linux\n')

local ks -- buffer of ks.cfg

test('filetypes: *.ks, ks.cfg, *-ks.cfg are kickstart, isolinux.cfg is syslinux', function()
  local want = {
    ['parts/network.ks'] = 'kickstart',
    ['anaconda-ks.cfg'] = 'kickstart',
    ['web-ks.cfg'] = 'kickstart',
    ['isolinux.cfg'] = 'syslinux',
    ['ks.cfg'] = 'kickstart',
  }
  for _, name in ipairs({ 'parts/network.ks', 'anaconda-ks.cfg', 'web-ks.cfg', 'isolinux.cfg', 'ks.cfg' }) do
    local bufnr = edit(name)
    expect(vim.bo[bufnr].filetype == want[name], ('%s: filetype %q'):format(name, vim.bo[bufnr].filetype))
  end
  ks = vim.api.nvim_get_current_buf()
  expect(vim.bo[ks].commentstring == '# %s', 'ftplugin sets commentstring, got ' .. vim.bo[ks].commentstring)
end)

test('the plugin starts kslint and it attaches', function()
  local client = attached(ks)
  expect(client.name == 'kslint', 'client name ' .. tostring(client.name))
  expect(vim.bo[ks].omnifunc == 'v:lua.vim.lsp.omnifunc', 'omnifunc ' .. vim.bo[ks].omnifunc)
  -- One server for the whole workspace.
  expect(#kslint.clients() == 1, #kslint.clients() .. ' kslint clients')
end)

test('diagnostics arrive on open: KS0002 with did-you-mean and a docs link', function()
  local line = find_line(ks, '%pakages')
  wait_codes(ks, 'KS0002@' .. line)
  local diagnostic = vim.diagnostic.get(ks, { lnum = line - 1 })[1]
  expect(diagnostic.severity == vim.diagnostic.severity.ERROR, 'severity ' .. diagnostic.severity)
  expect(diagnostic.message:find('did you mean `%packages`?', 1, true), diagnostic.message)
  local href = diagnostic.user_data.lsp.codeDescription.href
  expect(href:match('/KS0002%.md$'), 'codeDescription ' .. tostring(href))
end)

test('an edit updates the diagnostics', function()
  local line = find_line(ks, '%pakages')
  local since = changes[ks] or 0
  vim.api.nvim_buf_set_lines(ks, line - 1, line, false, { '%packages' })
  wait_codes(ks, '', since)
  -- And a new mistake shows up.
  since = changes[ks]
  local keyboard = find_line(ks, 'keyboard us')
  vim.api.nvim_buf_set_lines(ks, keyboard - 1, keyboard, false, { 'keyboard us  # kslint: disable=KS0003' })
  wait_codes(ks, 'KS0012@' .. keyboard, since)
  -- settings from require('kslint').setup{} reached the server: KS0012 is an error.
  expect(vim.diagnostic.get(ks, { lnum = keyboard - 1 })[1].severity == vim.diagnostic.severity.ERROR,
    'KS0012 severity from settings')
  since = changes[ks]
  vim.api.nvim_buf_set_lines(ks, keyboard - 1, keyboard, false, { 'keyboard us' })
  wait_codes(ks, '', since)
end)

test('hover on a command (vim.lsp.buf.hover)', function()
  local part = edit('parts/network.ks')
  attached(part)
  put_cursor(part, 'network', 2)
  vim.lsp.buf.hover()
  local text, win
  wait_for('a hover window', function()
    text, win = floating_text()
    return text ~= nil
  end)
  expect(text:find('network', 1, true), 'hover text: ' .. text)
  vim.api.nvim_win_close(win, true)
end)

test('completion of --bootproto for network, applied', function()
  vim.api.nvim_win_set_buf(0, ks)
  local reboot = find_line(ks, 'reboot')
  vim.api.nvim_buf_set_lines(ks, reboot - 1, reboot - 1, false, { 'network --boot' })
  local client = attached(ks)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(ks) },
    position = { line = reboot - 1, character = #'network --boot' },
  }
  local responses = vim.lsp.buf_request_sync(ks, 'textDocument/completion', params, TIMEOUT)
  local items = {}
  for _, response in pairs(responses or {}) do
    local result = response.result or {}
    for _, item in ipairs(result.items or result) do
      items[item.label] = item
    end
  end
  local item = expect(items['--bootproto'], 'no --bootproto among ' .. vim.inspect(vim.tbl_keys(items)))
  local edit_ = expect(item.textEdit, '--bootproto has no textEdit')
  expect(edit_.newText:match('^%-%-bootproto='), 'newText ' .. edit_.newText)
  -- What accepting it and typing a value gives.
  local since = changes[ks] or 0
  local text = edit_.newText:gsub('%$%{%d+:?[^}]*%}', ''):gsub('%$%d+', '') .. 'dhcp'
  vim.lsp.util.apply_text_edits({ { range = edit_.range, newText = text } }, ks, client.offset_encoding)
  expect(vim.api.nvim_buf_get_lines(ks, reboot - 1, reboot, false)[1] == 'network --bootproto=dhcp',
    'line after completion: ' .. vim.api.nvim_buf_get_lines(ks, reboot - 1, reboot, false)[1])
  wait_codes(ks, '', since)
end)

test('go to the definition of an %include (vim.lsp.buf.definition)', function()
  vim.api.nvim_win_set_buf(0, ks)
  put_cursor(ks, 'parts/network.ks', 3)
  vim.lsp.buf.definition()
  local target = vim.fn.resolve(path('parts/network.ks'))
  wait_for('the included file to open', function()
    return vim.fn.resolve(vim.api.nvim_buf_get_name(0)) == target
  end)
  vim.api.nvim_win_set_buf(0, ks)
end)

test('a quick fix applied (vim.lsp.buf.code_action) clears the diagnostic', function()
  local post = find_line(ks, '%post')
  local end_line = post - 2 -- ...vim-enhanced, %end, blank, %post
  expect(vim.api.nvim_buf_get_lines(ks, end_line - 1, end_line, false)[1] == '%end', 'layout of ks.cfg')
  local since = changes[ks] or 0
  vim.api.nvim_buf_set_lines(ks, end_line - 1, end_line, false, {})
  local packages = find_line(ks, '%packages')
  wait_codes(ks, 'KS0001@' .. packages, since)
  -- The user picks the preferred fix from the menu.
  local offered = {}
  local select = vim.ui.select
  vim.ui.select = function(items, _, on_choice)
    local choice
    for _, item in ipairs(items) do
      local action = item.action or item[2]
      table.insert(offered, action.title)
      if action.isPreferred and not choice then
        choice = item
      end
    end
    on_choice(choice)
  end
  since = changes[ks]
  put_cursor(ks, '%packages')
  vim.lsp.buf.code_action()
  local ok, err = pcall(wait_codes, ks, '', since)
  vim.ui.select = select
  expect(ok, tostring(err) .. '; offered: ' .. vim.inspect(offered))
  local lines = vim.api.nvim_buf_get_lines(ks, 0, -1, false)
  expect(lines[find_line(ks, '%post') - 1] == '%end', '%end inserted before %post')
end)

test(':KickstartExplain KS0001 shows the rule documentation', function()
  vim.cmd('KickstartExplain KS0001')
  local bufnr = vim.api.nvim_get_current_buf()
  local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
  expect(bufnr ~= ks and #text > 40, 'explain buffer: ' .. text)
  expect(vim.bo[bufnr].filetype == 'markdown', 'filetype ' .. vim.bo[bufnr].filetype)
  vim.cmd('close')
  vim.api.nvim_win_set_buf(0, ks)
end)

test(':KickstartBuildIso sends kslint.buildIso and reports the answer', function()
  notes = {}
  vim.cmd('KickstartBuildIso')
  local said
  wait_for('a message from :KickstartBuildIso', function()
    for _, note in ipairs(notes) do
      if note.message:find('^kslint: ') then
        said = note.message
        return true
      end
    end
    return false
  end)
  out:write('#   ' .. said:gsub('\n', ' ') .. '\n')
end)

-- Messages the server shows (window/showMessage), e.g. the build result.
local shown = {}
local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, result, ctx, config)
  table.insert(shown, result.message)
  return show_message(err, result, ctx, config)
end

test(':KickstartBuildIso key=value arguments reach the build (volume id, inst.ks, kernel args)', function()
  -- A media tree of its own (.treeinfo marks its root): isolinux.cfg and
  -- the kickstart.
  local root = path('media/isolinux')
  vim.fn.mkdir(root .. '/ks', 'p')
  write(root .. '/.treeinfo', '[general]\nfamily = Test\nversion = 9\narch = x86_64\n')
  write(root .. '/isolinux.cfg',
    'default linux\nlabel linux\n  kernel vmlinuz\n  append initrd=initrd.img inst.stage2=hd:LABEL=OLD quiet\n')
  write(root .. '/ks/ks.cfg', 'lang en_US.UTF-8\nkeyboard us\ntimezone UTC\nrootpw --lock\n')
  local buffer = edit('media/isolinux/ks/ks.cfg')
  wait_for('a kslint client on the media kickstart', function()
    return kslint.clients(buffer)[1] ~= nil
  end)
  local image = path('nvim-build.iso')
  shown = {}
  vim.cmd('KickstartBuildIso! output=' .. image
    .. ' ks=ks/ks.cfg volume_id=NVIM_TEST add_arg=console=ttyS0 remove-arg=quiet')
  local result
  wait_for(function()
    return 'the build result; shown: ' .. vim.inspect(shown) .. ' notes: ' .. vim.inspect(notes)
  end, function()
    for _, message in ipairs(shown) do
      if message:find('^Built ') or message:find('^Build ISO failed') then
        result = message
        return true
      end
    end
    return false
  end)
  expect(result:find('^Built '), result)
  local file = assert(io.open(image, 'rb'))
  local bytes = file:read('*a')
  file:close()
  -- The primary volume descriptor's volume id (ISO 9660: sector 16, byte 40).
  local volume = bytes:sub(16 * 2048 + 41, 16 * 2048 + 72):gsub(' +$', '')
  expect(volume == 'NVIM_TEST', 'volume id ' .. volume)
  expect(bytes:find('inst.ks=hd:LABEL=NVIM_TEST:/ks/ks.cfg', 1, true), 'no inst.ks= in the image')
  expect(bytes:find('inst.stage2=hd:LABEL=NVIM_TEST', 1, true), 'inst.stage2 does not follow the volume id')
  expect(bytes:find('console=ttyS0', 1, true), 'no console=ttyS0 in the image')
  expect(not bytes:find('initrd.img inst.stage2=hd:LABEL=OLD quiet', 1, true), 'the old line is in the image')
  -- The tree itself is not patched.
  expect(read(root .. '/isolinux.cfg'):find('LABEL=OLD quiet', 1, true), 'isolinux.cfg in the tree changed')
  vim.api.nvim_win_set_buf(0, ks)
end)

test('build arguments: parsing and completion', function()
  local opts = kslint.parse_build_args({ 'out.iso', 'volume-id=X', 'add_arg=a=b', 'add_arg=c' })
  expect(opts.output == 'out.iso' and opts.volume_id == 'X', vim.inspect(opts))
  expect(vim.deep_equal(opts.add_args, { 'a=b', 'c' }), vim.inspect(opts))
  local none, err = kslint.parse_build_args({ 'colour=red' })
  expect(none == nil and err:find('unknown argument'), tostring(err))
  local keys = kslint.complete_build_args('vo')
  expect(vim.deep_equal(keys, { 'volume_id=' }), vim.inspect(keys))
end)

test(':KickstartRestart starts a new server that serves the buffers', function()
  local old = attached(ks).id
  vim.cmd('KickstartRestart')
  wait_for('a new kslint client', function()
    local client = kslint.clients(ks)[1]
    return client ~= nil and client.id ~= old
  end)
  wait_for('the old client to be gone', function()
    return vim.lsp.get_client_by_id(old) == nil
  end)
  expect(#kslint.clients() == 1, #kslint.clients() .. ' kslint clients after the restart')
  local since = changes[ks] or 0
  local line = find_line(ks, '%packages')
  vim.api.nvim_buf_set_lines(ks, line - 1, line, false, { '%pakages' })
  wait_codes(ks, 'KS0002@' .. line, since)
end)

test('lsp/kslint.lua (the Neovim 0.11 vim.lsp.config file) gives the configuration', function()
  local files = vim.api.nvim_get_runtime_file('lsp/kslint.lua', false)
  expect(#files == 1, 'lsp/kslint.lua on the runtimepath: ' .. vim.inspect(files))
  local config = dofile(files[1])
  expect(config.cmd[1] == os.getenv('KSLINT') and config.cmd[2] == 'lsp', 'cmd ' .. vim.inspect(config.cmd))
  expect(vim.tbl_contains(config.filetypes, 'kickstart'), 'filetypes ' .. vim.inspect(config.filetypes))
  expect(vim.tbl_contains(config.root_markers, 'kslint.toml'), 'root_markers')
  expect(config.settings.kslint.rules['unused-suppression'] == 'error', 'settings from setup{}')
  expect(config.name == nil and config.root_dir == nil, 'no name or root_dir: vim.lsp.enable sets them')
end)

out:write(('# %d passed, %d failed\n'):format(passed, failed))
out:flush()
if failed > 0 then
  vim.cmd('cquit ' .. failed)
else
  vim.cmd('qall!')
end
