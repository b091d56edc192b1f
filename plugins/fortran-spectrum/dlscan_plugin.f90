! The dlscan plugin ABI (crates/oracle-api/include/dlscan_oracle.h, version 2.1) in
! Fortran, with ISO_C_BINDING, around the routine of toy_spectrum.f90.
!
! Inputs per point: m0, m12, tanb, a0. Outputs: mh, ms. Configuration (flat, see
! plugins/README.md), all optional: mt = 173.0 (top mass), loops = 1 (0: tree level).
!
! Build: gfortran -shared -fPIC -O2 toy_spectrum.f90 dlscan_plugin.f90 -o libdlscan_fortran_spectrum.so
module dlscan_plugin
  use, intrinsic :: iso_c_binding
  use toy_spectrum, only: dp, spectrum, kont_message
  implicit none
  private
  public :: dlscan_oracle_entry

  ! dlscan_oracle.h's constants.
  integer(c_int32_t), parameter :: abi_version = 2, abi_minor = 1
  integer(c_int32_t), parameter :: point_ok = 0, point_failed = 1
  integer(c_int32_t), parameter :: call_ok = 0
  integer(c_int64_t), parameter :: config_flat = 1

  ! dlscan_oracle_descriptor, field for field.
  type, bind(c) :: descriptor
    integer(c_int32_t) :: abi_version
    integer(c_int16_t) :: abi_minor
    integer(c_int16_t) :: reserved
    integer(c_size_t) :: struct_size
    type(c_ptr) :: name
    type(c_ptr) :: version
    type(c_funptr) :: create, describe, evaluate, point_error, last_error, destroy
    integer(c_int64_t) :: config_format
  end type descriptor

  ! dlscan_oracle_shape.
  type, bind(c) :: shape
    integer(c_size_t) :: n_inputs, n_outputs
    type(c_ptr) :: output_names
  end type shape

  integer, parameter :: n_inputs = 4, n_outputs = 2, message_len = 128

  ! One oracle instance (a handle): its settings, the C strings it hands out, and the
  ! reasons of the last batch's failed points.
  type :: instance
    real(dp) :: mt = 173.0_dp
    integer :: loops = 1
    character(kind=c_char, len=8) :: names(n_outputs)
    type(c_ptr) :: name_pointers(n_outputs)
    character(kind=c_char, len=message_len), allocatable :: reasons(:)
  end type instance

  type(descriptor), target, save :: the_descriptor
  character(kind=c_char, len=17), target, save :: plugin_name = 'fortran-spectrum' // c_null_char
  character(kind=c_char, len=6), target, save :: plugin_version = '1.0.0' // c_null_char

  interface
    pure function c_strlen(s) bind(c, name='strlen') result(n)
      import :: c_ptr, c_size_t
      type(c_ptr), value :: s
      integer(c_size_t) :: n
    end function c_strlen
  end interface

contains

  ! The one exported symbol. The loader calls it once, before anything else.
  function dlscan_oracle_entry() bind(c, name='dlscan_oracle_entry') result(p)
    type(c_ptr) :: p
    the_descriptor%abi_version = abi_version
    the_descriptor%abi_minor = int(abi_minor, c_int16_t)
    the_descriptor%reserved = 0_c_int16_t
    the_descriptor%struct_size = c_sizeof(the_descriptor)
    the_descriptor%name = c_loc(plugin_name)
    the_descriptor%version = c_loc(plugin_version)
    the_descriptor%create = c_funloc(create)
    the_descriptor%describe = c_funloc(describe)
    the_descriptor%evaluate = c_funloc(evaluate)
    the_descriptor%point_error = c_funloc(point_error)
    the_descriptor%last_error = c_funloc(last_error)
    the_descriptor%destroy = c_funloc(destroy)
    the_descriptor%config_format = config_flat
    p = c_loc(the_descriptor)
  end function dlscan_oracle_entry

  ! A NUL-terminated C string as a Fortran string.
  function from_c(s) result(text)
    type(c_ptr), intent(in) :: s
    character(len=:), allocatable :: text
    character(kind=c_char), pointer :: chars(:)
    integer :: n, i
    n = int(c_strlen(s))
    allocate (character(len=n) :: text)
    if (n == 0) return
    call c_f_pointer(s, chars, [n])
    do i = 1, n
      text(i:i) = chars(i)
    end do
  end function from_c

  ! Copy `message` into the host's buffer of err_len bytes, NUL-terminated.
  subroutine to_c(message, buffer, buffer_len)
    character(len=*), intent(in) :: message
    type(c_ptr), intent(in) :: buffer
    integer(c_size_t), intent(in) :: buffer_len
    character(kind=c_char), pointer :: chars(:)
    integer :: n, i
    if (buffer_len < 1) return
    call c_f_pointer(buffer, chars, [buffer_len])
    n = min(len(message), int(buffer_len) - 1)
    do i = 1, n
      chars(i) = message(i:i)
    end do
    chars(n + 1) = c_null_char
  end subroutine to_c

  ! Read the flat configuration: one `key = value` per line.
  subroutine read_config(config, inst, error)
    character(len=*), intent(in) :: config
    type(instance), intent(inout) :: inst
    character(len=:), allocatable, intent(out) :: error
    integer :: start, finish, eq, status
    character(len=:), allocatable :: line, key, value
    error = ''
    start = 1
    do while (start <= len(config))
      finish = index(config(start:), c_new_line)
      if (finish == 0) then
        finish = len(config) + 1
      else
        finish = start + finish - 1
      end if
      line = config(start:finish - 1)
      start = finish + 1
      eq = index(line, ' = ')
      if (eq == 0) cycle
      key = line(:eq - 1)
      value = line(eq + 3:)
      select case (key)
      case ('mt')
        read (value, *, iostat=status) inst%mt
        if (status /= 0 .or. inst%mt <= 0.0_dp) error = 'mt must be a positive number'
      case ('loops')
        read (value, *, iostat=status) inst%loops
        if (status /= 0 .or. inst%loops < 0 .or. inst%loops > 1) error = 'loops must be 0 or 1'
      case default
        error = 'unknown setting `' // key // '` (known: mt, loops)'
      end select
      if (len(error) > 0) return
    end do
  end subroutine read_config

  function create(config, err, err_len) bind(c, name='fortran_spectrum_create') result(handle)
    type(c_ptr), value :: config, err
    integer(c_size_t), value :: err_len
    type(c_ptr) :: handle
    type(instance), pointer :: inst
    character(len=:), allocatable :: error
    integer :: i
    handle = c_null_ptr
    allocate (inst)
    call read_config(from_c(config), inst, error)
    if (len(error) > 0) then
      call to_c('fortran-spectrum: ' // error, err, err_len)
      deallocate (inst)
      return
    end if
    inst%names(1) = 'mh' // c_null_char
    inst%names(2) = 'ms' // c_null_char
    do i = 1, n_outputs
      inst%name_pointers(i) = c_loc(inst%names(i))
    end do
    allocate (inst%reasons(0))
    handle = c_loc(inst)
  end function create

  function describe(handle, out) bind(c, name='fortran_spectrum_describe') result(code)
    type(c_ptr), value :: handle, out
    integer(c_int32_t) :: code
    type(instance), pointer :: inst
    type(shape), pointer :: s
    call c_f_pointer(handle, inst)
    call c_f_pointer(out, s)
    s%n_inputs = n_inputs
    s%n_outputs = n_outputs
    s%output_names = c_loc(inst%name_pointers)
    code = call_ok
  end function describe

  function evaluate(handle, n, x, outputs, status) bind(c, name='fortran_spectrum_evaluate') result(code)
    type(c_ptr), value :: handle, x, outputs, status
    integer(c_size_t), value :: n
    integer(c_int32_t) :: code
    type(instance), pointer :: inst
    real(c_double), pointer :: xs(:, :), ys(:, :)
    integer(c_int32_t), pointer :: codes(:)
    integer :: i, kont
    real(dp) :: mh, ms
    call c_f_pointer(handle, inst)
    code = call_ok
    if (allocated(inst%reasons)) deallocate (inst%reasons)
    allocate (inst%reasons(n))
    if (n == 0) return
    ! Row-major n x 4 in C is column-major 4 x n in Fortran: one column per point.
    call c_f_pointer(x, xs, [int(n_inputs, c_size_t), n])
    call c_f_pointer(outputs, ys, [int(n_outputs, c_size_t), n])
    call c_f_pointer(status, codes, [n])
    do i = 1, int(n)
      call spectrum(xs(1, i), xs(2, i), xs(3, i), xs(4, i), inst%mt, inst%loops, mh, ms, kont)
      if (kont == 0) then
        ys(:, i) = [mh, ms]
        codes(i) = point_ok
        inst%reasons(i) = c_null_char
      else
        codes(i) = point_failed
        inst%reasons(i) = kont_message(kont) // c_null_char
      end if
    end do
  end function evaluate

  ! index is 0-based, as in C.
  function point_error(handle, index) bind(c, name='fortran_spectrum_point_error') result(message)
    type(c_ptr), value :: handle
    integer(c_size_t), value :: index
    type(c_ptr) :: message
    type(instance), pointer :: inst
    call c_f_pointer(handle, inst)
    message = c_null_ptr
    if (index < size(inst%reasons, kind=c_size_t)) then
      if (inst%reasons(index + 1)(1:1) /= c_null_char) message = c_loc(inst%reasons(index + 1))
    end if
  end function point_error

  ! This plugin has no call that fails as a whole.
  function last_error(handle) bind(c, name='fortran_spectrum_last_error') result(message)
    type(c_ptr), value :: handle
    type(c_ptr) :: message
    message = c_null_ptr
    if (c_associated(handle)) message = c_null_ptr
  end function last_error

  subroutine destroy(handle) bind(c, name='fortran_spectrum_destroy')
    type(c_ptr), value :: handle
    type(instance), pointer :: inst
    call c_f_pointer(handle, inst)
    deallocate (inst)
  end subroutine destroy

end module dlscan_plugin
