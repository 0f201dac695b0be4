# Installs web/node_modules exactly as package-lock.json says (npm ci), unless the installed tree
# already came from this lock file (several build directories share web/node_modules).
#   cmake -DNPM=<npm> -DWEB=<web dir> -DSTAMP=<stamp file> -P npm_ci.cmake
file(SHA256 ${WEB}/package-lock.json _want)
set(_marker ${WEB}/node_modules/.flowsentry-lock-sha256)
set(_have "")
if(EXISTS ${_marker})
  file(READ ${_marker} _have)
endif()
if(NOT _have STREQUAL _want OR NOT EXISTS ${WEB}/node_modules/.bin/esbuild)
  message(STATUS "npm ci in ${WEB}")
  execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY ${WEB} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "npm ci failed in ${WEB} (exit ${_rc}): the npm registry must be reachable, "
                        "or install web/node_modules by hand with `npm ci` there")
  endif()
  file(WRITE ${_marker} "${_want}")
endif()
file(TOUCH ${STAMP})
