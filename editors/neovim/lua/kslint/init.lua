-- kslint for Neovim: filetype detection, the language server (`kslint lsp`)
-- and the Kickstart commands. Works on Neovim 0.7.2 (Debian 12) up to 0.11+:
--
--   0.7        vim.lsp.start_client + vim.lsp.buf_attach_client, autocmds
--   0.8 - 0.10 vim.lsp.start, vim.filetype.add
--   0.11+      vim.lsp.config / vim.lsp.enable with lsp/kslint.lua
--
-- Everything the user can change goes through require('kslint').setup{...};
-- see editors/neovim/README.md.

local M = {}

local uv = vim.uv or vim.loop

local has = function(feature)
  return vim.fn.has(feature) == 1
end

local defaults = {
  -- The server command; `kslint` is looked up on PATH.
  cmd = { 'kslint', 'lsp' },
  -- Filetypes the server is started for. Boot configs are held by the server
  -- as their own documents.
  filetypes = { 'kickstart', 'syslinux', 'grub' },
  -- Files that mark the root of a project, searched upwards from the buffer.
  root_markers = { 'kslint.toml', '.git' },
  -- The `kslint` settings section: syntax, mediaRoot, rules, shellcheck,
  -- docsUrl (see the README). Sent as initializationOptions, answered to
  -- workspace/configuration and pushed with didChangeConfiguration.
  settings = {},
  -- Start the server when a buffer of one of `filetypes` is opened.
  autostart = true,
  -- Extra fields passed to the LSP client (capabilities, handlers, flags, ...).
  client = {},
  -- Called with (client, bufnr) when the server attaches to a buffer.
  on_attach = nil,
  -- Defaults of :KickstartBuildIso (its key=value arguments override them):
  -- ks (the kickstart in the image every boot entry loads, e.g. 'ks/ks.cfg'),
  -- volume_id, add_args and remove_args (lists of kernel arguments).
  build = {},
}

M.config = vim.deepcopy(defaults)

-- ------------------------------------------------------------- filetypes

-- Kickstart files by name and extension. Neovim's own rules call `*.ks`
-- `kscript` and `ks.cfg` `cfg`; these take precedence.
M.filenames = {
  ['ks.cfg'] = 'kickstart',
  ['anaconda-ks.cfg'] = 'kickstart',
  ['initial-setup-ks.cfg'] = 'kickstart',
  ['isolinux.cfg'] = 'syslinux',
  ['syslinux.cfg'] = 'syslinux',
  ['extlinux.conf'] = 'syslinux',
  ['grub.cfg'] = 'grub',
}
M.extensions = { ks = 'kickstart' }
-- Lua patterns against the whole path (vim.filetype.add anchors them).
M.patterns = { ['.*/[^/]*%-ks%.cfg'] = 'kickstart' }

local function detected(path)
  local name = vim.fn.fnamemodify(path, ':t')
  if M.filenames[name] then
    return M.filenames[name]
  end
  for pattern, filetype in pairs(M.patterns) do
    if path:match('^' .. pattern .. '$') then
      return filetype
    end
  end
  local extension = vim.fn.fnamemodify(path, ':e')
  return M.extensions[extension]
end

local filetypes_done = false

--- Registers the filetype rules: `vim.filetype.add` from 0.8 on, autocmds
--- (defined after the built-in ones, so they win) on 0.7.
function M.detect_filetypes()
  if filetypes_done then
    return
  end
  filetypes_done = true
  if has('nvim-0.8') then
    vim.filetype.add({ extension = M.extensions, filename = M.filenames, pattern = M.patterns })
    return
  end
  local group = vim.api.nvim_create_augroup('kslint_filetype', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufNewFile', 'BufRead' }, {
    group = group,
    -- Patterns without a slash match the file name.
    pattern = { '*.ks', 'ks.cfg', '*-ks.cfg', 'isolinux.cfg', 'syslinux.cfg', 'extlinux.conf', 'grub.cfg' },
    callback = function(args)
      local filetype = detected(vim.fn.fnamemodify(args.file, ':p'))
      if filetype and vim.bo[args.buf].filetype ~= filetype then
        vim.bo[args.buf].filetype = filetype
      end
    end,
  })
end

-- ----------------------------------------------------------------- server

local function dirname(path)
  return vim.fn.fnamemodify(path, ':h')
end

--- The project root of a buffer: the nearest directory upwards holding one of
--- `root_markers`, else the buffer's directory.
function M.root_dir(bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr or 0)
  if path == '' then
    return uv.cwd()
  end
  local start = dirname(vim.fn.fnamemodify(path, ':p'))
  local dir = start
  while true do
    for _, marker in ipairs(M.config.root_markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = dirname(dir)
    if parent == dir then
      return start
    end
    dir = parent
  end
end

local function on_attach(client, bufnr)
  if vim.bo[bufnr].omnifunc == '' then
    vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  end
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

--- The client configuration for vim.lsp.start / vim.lsp.start_client, and
--- (without root_dir) for vim.lsp.config on 0.11+.
function M.client_config(bufnr)
  local settings = M.config.settings or {}
  local config = vim.tbl_deep_extend('force', {
    name = 'kslint',
    cmd = M.config.cmd,
    filetypes = M.config.filetypes,
    root_markers = M.config.root_markers,
    settings = { kslint = settings },
    init_options = settings,
    on_attach = on_attach,
    flags = { debounce_text_changes = 50 },
  }, M.config.client or {})
  if bufnr then
    config.root_dir = M.root_dir(bufnr)
  end
  return config
end

--- The kslint clients, attached to `bufnr` when given.
function M.clients(bufnr)
  local found = {}
  if vim.lsp.get_clients then -- 0.10+
    found = vim.lsp.get_clients({ name = 'kslint', bufnr = bufnr })
  elseif bufnr then
    for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
      table.insert(found, client)
    end
  else
    found = vim.lsp.get_active_clients()
  end
  return vim.tbl_filter(function(client)
    return client.name == 'kslint'
  end, found)
end

-- Client ids by root directory, for Neovim 0.7 (no vim.lsp.start there).
local started = {}

--- Starts the server for a buffer (or attaches the running one for the same
--- root). Returns the client id.
function M.start(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local config = M.client_config(bufnr)
  config.root_markers = nil
  config.filetypes = nil
  if vim.fn.executable(config.cmd[1]) ~= 1 then
    vim.notify_once(
      ('kslint: `%s` is not executable; install kslint or set cmd in require("kslint").setup{}'):format(config.cmd[1]),
      vim.log.levels.WARN
    )
    return nil
  end
  if vim.lsp.start then -- 0.8+
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = started[config.root_dir]
  if not id or not vim.lsp.get_client_by_id(id) or vim.lsp.get_client_by_id(id).is_stopped() then
    config.workspace_folders = {
      { uri = vim.uri_from_fname(config.root_dir), name = config.root_dir },
    }
    id = vim.lsp.start_client(config)
    started[config.root_dir] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

local function uses_enable()
  return has('nvim-0.11') and vim.lsp.config ~= nil and vim.lsp.enable ~= nil
end

local autostart_done = false

--- Starts the server for every buffer of the configured filetypes, now and
--- when they are opened.
function M.autostart()
  if autostart_done then
    return
  end
  autostart_done = true
  if uses_enable() then
    -- lsp/kslint.lua supplies the defaults; setup{} has merged the rest.
    vim.lsp.enable('kslint')
    return
  end
  local group = vim.api.nvim_create_augroup('kslint_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.start(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
      M.start(bufnr)
    end
  end
end

local function request(client, method, params, handler, bufnr)
  if has('nvim-0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function stop(client, force)
  if has('nvim-0.11') then
    return client:stop(force)
  end
  return client.stop(force)
end

--- Stops the server(s) and starts them again for every buffer they served.
function M.restart()
  local buffers = {}
  for _, client in ipairs(M.clients()) do
    for bufnr in pairs(client.attached_buffers or {}) do
      buffers[bufnr] = true
    end
    stop(client)
  end
  started = {}
  -- Wait for the old servers to exit; terminate the ones still there after
  -- a second (kslint up to 0.1 only exits once its stdin is closed).
  local gone = function()
    return #M.clients() == 0
  end
  if not vim.wait(1000, gone, 20) then
    for _, client in ipairs(M.clients()) do
      stop(client, true)
    end
    vim.wait(1000, gone, 20)
  end
  for bufnr in pairs(buffers) do
    if vim.api.nvim_buf_is_valid(bufnr) then
      M.start(bufnr)
    end
  end
end

--- `kslint.buildIso` for the current buffer's media tree. opts: output
--- (path of the image), force (build although the kickstart has errors),
--- ks, volume_id, add_args, remove_args (see `build` in the defaults,
--- which fill in what opts leave out).
function M.build_iso(opts)
  opts = vim.tbl_extend('force', M.config.build or {}, opts or {})
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.clients(bufnr)[1]
  if not client then
    vim.notify('kslint: no kslint language server attached to this buffer', vim.log.levels.ERROR)
    return
  end
  local argument = { uri = vim.uri_from_bufnr(bufnr), force = opts.force or false }
  if opts.output and opts.output ~= '' then
    argument.output = vim.fn.fnamemodify(opts.output, ':p')
  end
  argument.ks = opts.ks
  argument.volumeId = opts.volume_id
  if opts.add_args and #opts.add_args > 0 then
    argument.addArgs = opts.add_args
  end
  if opts.remove_args and #opts.remove_args > 0 then
    argument.removeArgs = opts.remove_args
  end
  local params = { command = 'kslint.buildIso', arguments = { argument } }
  request(client, 'workspace/executeCommand', params, function(err, result)
    if err then
      local hint = err.code == 2 and ' (:KickstartBuildIso! builds anyway)' or ''
      vim.notify('kslint: Build ISO: ' .. tostring(err.message) .. hint, vim.log.levels.ERROR)
    else
      local output = type(result) == 'table' and result.output or nil
      vim.notify('kslint: building ' .. tostring(output or 'the ISO'), vim.log.levels.INFO)
    end
  end, bufnr)
end

--- The rule code of the kslint diagnostic under the cursor.
local function code_under_cursor()
  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  for _, diagnostic in ipairs(vim.diagnostic.get(0, { lnum = line })) do
    local lsp = diagnostic.user_data and diagnostic.user_data.lsp or {}
    local code = diagnostic.code or lsp.code
    if code and tostring(code):match('^KS%d+$') then
      return tostring(code)
    end
  end
  return nil
end

--- Shows `kslint explain CODE` (the rule's documentation) in a scratch window.
function M.explain(code)
  code = (code and code ~= '') and code or code_under_cursor()
  if not code then
    vim.notify('kslint: no rule code given and no kslint diagnostic on this line', vim.log.levels.WARN)
    return
  end
  local output = vim.fn.systemlist({ M.config.cmd[1], 'explain', code })
  if vim.v.shell_error ~= 0 then
    vim.notify('kslint: ' .. table.concat(output, '\n'), vim.log.levels.ERROR)
    return
  end
  vim.cmd('botright new')
  local bufnr = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, output)
  vim.bo[bufnr].buftype = 'nofile'
  vim.bo[bufnr].bufhidden = 'wipe'
  vim.bo[bufnr].swapfile = false
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].filetype = 'markdown'
  pcall(vim.api.nvim_buf_set_name, bufnr, 'kslint://' .. code)
end

-- The keys :KickstartBuildIso takes as key=value; add_arg and remove_arg
-- may be given more than once.
local build_keys = { 'output', 'ks', 'volume_id', 'add_arg', 'remove_arg' }

--- The options of `:KickstartBuildIso [output] [key=value ...]`: a word
--- without `=` is the output path; `add_arg=console=ttyS0` splits at the
--- first `=`. Returns nil and a message for an unknown key.
function M.parse_build_args(words)
  local opts = { add_args = {}, remove_args = {} }
  for _, word in ipairs(words) do
    local key, value = word:match('^([%w_-]+)=(.*)$')
    key = key and key:gsub('-', '_')
    if not key or not vim.tbl_contains(build_keys, key) then
      if word:find('=', 1, true) and not word:find('/', 1, true) then
        return nil, ('unknown argument %q (known: %s)'):format(word, table.concat(build_keys, '= ') .. '=')
      end
      opts.output = word
    elseif key == 'add_arg' then
      table.insert(opts.add_args, value)
    elseif key == 'remove_arg' then
      table.insert(opts.remove_args, value)
    else
      opts[key] = value
    end
  end
  if #opts.add_args == 0 then
    opts.add_args = nil
  end
  if #opts.remove_args == 0 then
    opts.remove_args = nil
  end
  return opts
end

--- Completion of :KickstartBuildIso: the keys, then file names.
function M.complete_build_args(lead)
  local found = {}
  for _, key in ipairs(build_keys) do
    if (key .. '='):find(lead, 1, true) == 1 then
      table.insert(found, key .. '=')
    end
  end
  local path = lead:match('^output=(.*)$') or (not lead:find('=', 1, true) and lead) or nil
  if path then
    local prefix = lead:sub(1, #lead - #path)
    for _, file in ipairs(vim.fn.getcompletion(path, 'file')) do
      table.insert(found, prefix .. file)
    end
  end
  return found
end

local commands_done = false

function M.create_commands()
  if commands_done then
    return
  end
  commands_done = true
  local command = vim.api.nvim_create_user_command
  command('KickstartBuildIso', function(args)
    local opts, err = M.parse_build_args(args.fargs)
    if not opts then
      vim.notify('kslint: :KickstartBuildIso: ' .. err, vim.log.levels.ERROR)
      return
    end
    opts.force = args.bang
    M.build_iso(opts)
  end, {
    nargs = '*',
    bang = true,
    complete = M.complete_build_args,
    desc = 'kslint: build the ISO of this media tree',
  })
  command('KickstartExplain', function(args)
    M.explain(args.args)
  end, { nargs = '?', desc = 'kslint: show the documentation of a rule' })
  command('KickstartRestart', function()
    M.restart()
  end, { desc = 'kslint: restart the language server' })
end

--- Options: see `defaults` above. May be called before or after the plugin
--- is loaded; calling it is optional.
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if uses_enable() then
    local config = M.client_config()
    config.name = nil
    vim.lsp.config('kslint', config)
  end
  M.detect_filetypes()
  M.create_commands()
  if M.config.autostart and vim.g.kslint_plugin_loaded then
    M.autostart()
  end
end

return M
