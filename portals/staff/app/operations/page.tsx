import Operations from "@/components/Operations";
import Restricted from "@/components/Restricted";
import StaffPage from "@/components/StaffPage";

export default function OperationsPage() {
  return (
    <StaffPage path="/operations">
      <Restricted permission="ops.lms" what="loan-book operations">
        <Operations />
      </Restricted>
    </StaffPage>
  );
}
