# Run after libvkcalib.a is archived: renames volk's global Vulkan entry
# points (vkCreateInstance, ... are data objects in volk) and volk's own
# functions to vkc_-prefixed names, definitions and references alike. An
# application that links libvulkan (or its own volk) beside the static
# library would otherwise bind its own vk* calls to volk's pointer variables.
# The shared library needs none of this: there they are hidden symbols.
# Invoked as: cmake -DARCHIVE=... -DNM=... -DOBJCOPY=... -DMAP=... -P rename_volk.cmake
execute_process(COMMAND ${NM} -g --defined-only ${ARCHIVE} OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${ARCHIVE}")
endif()
string(REGEX MATCHALL "[ \t][BDTC] (vk[A-Z][A-Za-z0-9_]*|volk[A-Z][A-Za-z0-9_]*)" hits "${syms}")
set(map "")
foreach(h ${hits})
  string(REGEX REPLACE "^[ \t][BDTC] " "" name "${h}")
  string(APPEND map "${name} vkc_${name}\n")
endforeach()
file(WRITE ${MAP} "${map}")
execute_process(COMMAND ${OBJCOPY} --redefine-syms=${MAP} ${ARCHIVE} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "objcopy failed on ${ARCHIVE}")
endif()
