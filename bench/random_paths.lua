-- wrk script: each request asks for a random path from the file given after "--".
local paths = {}

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
end

-- Clients come from many addresses, as behind the site's reverse proxy (which the servers
-- trust): each request carries one of 10,000 documentation-range addresses.
function request()
  local client = string.format("198.18.%d.%d", math.random(0, 39), math.random(1, 250))
  return wrk.format("GET", paths[math.random(#paths)], {["X-Forwarded-For"] = client})
end
