! A small spectrum routine, written the way SPheno-style codes are: plain Fortran with
! no knowledge of dlscan, reporting problems through an error code (`kont`).
!
! The lightest Higgs mass at one loop in the decoupling limit, from tan(beta), a common
! stop mass scale M_S^2 = m0^2 + 4 m12^2 and the stop mixing X_t = A0 (a textbook formula,
! not a real spectrum: good enough to show a plugin with a failing region).
module toy_spectrum
  implicit none
  private
  public :: dp, spectrum, kont_message

  integer, parameter :: dp = kind(1.0d0)
  real(dp), parameter :: pi = 3.14159265358979323846_dp
  real(dp), parameter :: mz = 91.1876_dp, vev = 246.22_dp

contains

  ! kont: 0 fine; 1 tan(beta) below 1; 2 stop scale below the top mass (tachyonic stops).
  subroutine spectrum(m0, m12, tanb, a0, mt, loops, mh, ms, kont)
    real(dp), intent(in) :: m0, m12, tanb, a0, mt
    integer, intent(in) :: loops
    real(dp), intent(out) :: mh, ms
    integer, intent(out) :: kont
    real(dp) :: cos2b, ms2, xt2, mh2

    mh = 0.0_dp
    ms = 0.0_dp
    kont = 0
    if (tanb < 1.0_dp) then
      kont = 1
      return
    end if
    ms2 = m0**2 + 4.0_dp * m12**2 - 2.0_dp * mt**2
    if (ms2 < mt**2) then
      kont = 2
      return
    end if
    ms = sqrt(ms2)
    cos2b = (1.0_dp - tanb**2) / (1.0_dp + tanb**2)
    mh2 = mz**2 * cos2b**2
    if (loops > 0) then
      xt2 = a0**2 / ms2
      mh2 = mh2 + 3.0_dp * mt**4 / (2.0_dp * pi**2 * vev**2) &
            * (log(ms2 / mt**2) + xt2 * (1.0_dp - xt2 / 12.0_dp))
    end if
    mh = sqrt(max(mh2, 0.0_dp))
  end subroutine spectrum

  ! The reason for a non-zero kont, for the scan's records.
  function kont_message(kont) result(message)
    integer, intent(in) :: kont
    character(len=:), allocatable :: message
    select case (kont)
    case (1)
      message = 'tan(beta) below 1'
    case (2)
      message = 'stop mass scale below the top mass (tachyonic stops)'
    case default
      message = 'unknown error code'
    end select
  end function kont_message

end module toy_spectrum
